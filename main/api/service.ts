// What main must implement for the contract: one function per method, typed from the schemas.
import type { z } from 'zod';
import type { MethodName, Methods, ResponseOf } from '../../shared/contract';

/** Who is calling; transports fill it in, roles (later) are checked against it. */
export interface Caller {
  readonly transport: 'ipc' | 'websocket' | 'cli';
  readonly session: string;
}

export type ContractService = {
  [M in MethodName]: (
    request: z.infer<Methods[M]['request']>,
    caller: Caller,
  ) => Promise<ResponseOf<M>> | ResponseOf<M>;
};
