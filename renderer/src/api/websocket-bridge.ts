// Browser mode: the same bridge as the Electron preload, over the station's loopback WebSocket.
// The token arrives once in the URL fragment (never sent to a server log) and is kept for reloads
// of this tab only.
import { CONTRACT_VERSION, methodNames, type EventName, type MethodName } from '../../../shared/contract';
import type { EnrollerBridge } from '../../../shared/bridge';
import { ServerMessage, type Result } from '../../../shared/wire';
import { ApiError } from './errors';

const CALL_DEADLINE_MS = 30_000;
const TOKEN_KEY = 'enroller.token';

export function takeToken(): string | null {
  const fromHash = new URLSearchParams(window.location.hash.slice(1)).get('token');
  if (fromHash) {
    sessionStorage.setItem(TOKEN_KEY, fromHash);
    history.replaceState(null, '', window.location.pathname + window.location.search);
    return fromHash;
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

export function connectWebSocket(token: string): Promise<EnrollerBridge> {
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
  const socket = new WebSocket(`${scheme}://${window.location.host}/api?token=${encodeURIComponent(token)}`);
  const pending = new Map<number, { resolve: (r: Result) => void; timer: ReturnType<typeof setTimeout> }>();
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  let nextId = 1;

  const unreachable = (message: string): Result => ({ ok: false, error: { code: 'STATION_UNREACHABLE', message } });

  return new Promise((resolve, reject) => {
    socket.addEventListener('message', (event) => {
      const parsed = ServerMessage.safeParse(JSON.parse(String(event.data)));
      if (!parsed.success) return;
      const message = parsed.data;
      if (message.type === 'hello') {
        if (message.contractVersion !== CONTRACT_VERSION) {
          reject(
            new ApiError({
              code: 'CONTRACT_VERSION_MISMATCH',
              message:
                `This page speaks contract ${CONTRACT_VERSION}, the station ${message.contractVersion}. ` +
                `Reload the page.`,
            }),
          );
          socket.close();
          return;
        }
        resolve(bridge);
      } else if (message.type === 'result') {
        const call = pending.get(message.id);
        if (!call) return;
        pending.delete(message.id);
        clearTimeout(call.timer);
        call.resolve(message.result);
      } else {
        for (const listener of listeners.get(message.event) ?? []) listener(message.payload);
      }
    });
    socket.addEventListener('close', () => {
      for (const [id, call] of pending) {
        clearTimeout(call.timer);
        call.resolve(unreachable('The connection to the station was lost.'));
        pending.delete(id);
      }
      reject(
        new ApiError({
          code: 'STATION_UNREACHABLE',
          message: 'Could not connect to the station. Is `enroller serve` running, and is the link complete?',
        }),
      );
    });

    const call = (method: MethodName) => (request: unknown) =>
      new Promise<Result>((done) => {
        if (socket.readyState !== WebSocket.OPEN) {
          done(unreachable('The station is not connected.'));
          return;
        }
        const id = nextId++;
        const timer = setTimeout(() => {
          pending.delete(id);
          done({
            ok: false,
            error: { code: 'STATION_TIMEOUT', message: `The station did not answer ${method} in time.` },
          });
        }, CALL_DEADLINE_MS);
        pending.set(id, { resolve: done, timer });
        socket.send(JSON.stringify({ type: 'call', id, method, request }));
      });

    const bridge: EnrollerBridge = {
      contractVersion: CONTRACT_VERSION,
      invoke: Object.fromEntries(methodNames.map((m) => [m, call(m)])) as EnrollerBridge['invoke'],
      on(event: EventName, listener: (payload: unknown) => void) {
        const set = listeners.get(event) ?? new Set();
        set.add(listener);
        listeners.set(event, set);
        return () => set.delete(listener);
      },
    };
  });
}
