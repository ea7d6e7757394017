// The Electron binder: one ipcMain.handle per contract method. Every call is checked for a
// trusted sender (our own top frame, loaded from app://) before its payload is even parsed.
import { ipcMain, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { events as eventSpecs, methodNames } from '../../shared/contract';
import type { Result } from '../../shared/wire';
import type { Dispatch } from '../api/dispatch';
import type { EventHub } from '../api/events';
import type { Logger } from '../log';
import { APP_ORIGIN } from './protocol';

export function isTrustedSender(event: IpcMainInvokeEvent): boolean {
  const frame = event.senderFrame;
  if (!frame || frame !== event.sender.mainFrame) return false;
  try {
    return new URL(frame.url).origin === APP_ORIGIN;
  } catch {
    return false;
  }
}

export function bindIpc(dispatch: Dispatch, log: Logger): () => void {
  for (const method of methodNames) {
    ipcMain.handle(method, async (event, request: unknown): Promise<Result> => {
      if (!isTrustedSender(event)) {
        log.warn({ method, url: event.senderFrame?.url }, 'refused IPC from an untrusted frame');
        return {
          ok: false,
          error: { code: 'CONTRACT_INVALID_REQUEST', message: 'Refused: the caller is not the station window.' },
        };
      }
      return dispatch(method, request, { transport: 'ipc', session: String(event.sender.id) });
    });
  }
  return () => {
    for (const method of methodNames) ipcMain.removeHandler(method);
  };
}

/** Forwards contract events to one window for as long as it lives. */
export function forwardEvents(hub: EventHub, contents: WebContents): void {
  const unsubscribe = hub.subscribe((event, payload) => {
    if (Object.hasOwn(eventSpecs, event) && !contents.isDestroyed()) contents.send(event, payload);
  });
  contents.once('destroyed', unsubscribe);
}
