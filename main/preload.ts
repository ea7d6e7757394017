// Electron preload (sandboxed, context-isolated): exposes named contract functions only.
// The renderer never sees ipcRenderer; channels outside the contract cannot be reached.
import { contextBridge, ipcRenderer } from 'electron';
import { CONTRACT_VERSION, eventNames, methodNames, type EventName, type MethodName } from '../shared/contract';
import type { EnrollerBridge } from '../shared/bridge';
import type { Result } from '../shared/wire';

const invoke = Object.fromEntries(
  methodNames.map((method) => [method, (request: unknown): Promise<Result> => ipcRenderer.invoke(method, request)]),
) as Record<MethodName, (request: unknown) => Promise<Result>>;

const bridge: EnrollerBridge = {
  contractVersion: CONTRACT_VERSION,
  invoke,
  on(event: EventName, listener: (payload: unknown) => void) {
    if (!eventNames.includes(event)) throw new Error(`unknown event ${String(event)}`);
    const handler = (_event: unknown, payload: unknown) => listener(payload);
    ipcRenderer.on(event, handler);
    return () => {
      ipcRenderer.removeListener(event, handler);
    };
  },
};

contextBridge.exposeInMainWorld('enroller', bridge);
