// Envelopes for the contract when it travels as messages (browser mode) or as IPC results.
// A result is either a value or an error as data; exceptions never cross a process boundary.
import { z } from 'zod';
import { ErrorData } from './error-data';

export const Result = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), value: z.unknown() }),
  z.object({ ok: z.literal(false), error: ErrorData }),
]);
export type Result = z.infer<typeof Result>;

export const ClientMessage = z.object({
  type: z.literal('call'),
  id: z.number().int().nonnegative(),
  method: z.string().max(64),
  request: z.unknown(),
});
export type ClientMessage = z.infer<typeof ClientMessage>;

export const ServerMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('hello'), contractVersion: z.number().int() }),
  z.object({ type: z.literal('result'), id: z.number().int(), result: Result }),
  z.object({ type: z.literal('event'), event: z.string(), payload: z.unknown() }),
]);
export type ServerMessage = z.infer<typeof ServerMessage>;
