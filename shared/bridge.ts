// The exact surface the Electron preload exposes on `window.enroller`: one named function per
// contract method (each resolving to a Result, never throwing across the bridge), and a
// subscription per event. The renderer's API client wraps it into the typed EnrollerApi.
import type { EventName, MethodName } from './contract';
import type { Result } from './wire';

export interface EnrollerBridge {
  readonly contractVersion: number;
  readonly invoke: { readonly [M in MethodName]: (request: unknown) => Promise<Result> };
  on(event: EventName, listener: (payload: unknown) => void): () => void;
}
