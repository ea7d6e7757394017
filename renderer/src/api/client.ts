// The renderer's one API client: the Electron preload's bridge when present, else browser mode's
// WebSocket. Either way the UI gets typed methods that resolve to values or throw ApiError.
import {
  methodNames,
  type EnrollerApi,
  type EventName,
  type MethodName,
  type PayloadOf,
} from '../../../shared/contract';
import type { EnrollerBridge } from '../../../shared/bridge';
import { ApiError } from './errors';
import { connectWebSocket, takeToken } from './websocket-bridge';

declare global {
  interface Window {
    enroller?: EnrollerBridge;
  }
}

export async function connectApi(): Promise<EnrollerApi> {
  const bridge = window.enroller ?? (await connectBrowserMode());
  return wrap(bridge);
}

async function connectBrowserMode(): Promise<EnrollerBridge> {
  const token = takeToken();
  if (!token) {
    throw new ApiError({
      code: 'STATION_UNREACHABLE',
      message: 'This page needs the link printed by `enroller serve` (it carries the access token).',
    });
  }
  return connectWebSocket(token);
}

function wrap(bridge: EnrollerBridge): EnrollerApi {
  const api: Record<string, unknown> = {
    on<E extends EventName>(event: E, listener: (payload: PayloadOf<E>) => void) {
      return bridge.on(event, (payload) => listener(payload as PayloadOf<E>));
    },
  };
  for (const method of methodNames) {
    api[method] = async (request: unknown) => {
      const result = await bridge.invoke[method as MethodName](request);
      if (!result.ok) throw new ApiError(result.error);
      return result.value;
    };
  }
  return api as EnrollerApi;
}
