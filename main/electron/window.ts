// The station window, hardened: isolated, sandboxed, no Node, no navigation, no new windows,
// no permissions (Web Serial/HID/USB included: main owns every device).
import path from 'node:path';
import { BrowserWindow, session } from 'electron';
import { APP_ORIGIN } from './protocol';

export function lockDownSession(): void {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.setDevicePermissionHandler(() => false);
  ses.on('select-serial-port', (event, _ports, _contents, callback) => {
    event.preventDefault();
    callback('');
  });
}

export function createStationWindow(preloadDir: string): BrowserWindow {
  const window = new BrowserWindow({
    width: 1366,
    height: 768,
    minWidth: 1024,
    minHeight: 640,
    show: false,
    title: 'Floor Enroller',
    // Written out here (not built elsewhere) so the static scan in `npm test` can see every setting.
    webPreferences: {
      // Reviewed scan finding (PRELOAD_JS_CHECK): the preload exposes named contract functions only, no Node.
      preload: path.join(preloadDir, 'preload.cjs'), // eng-disable PRELOAD_JS_CHECK
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
      // Middle-click would otherwise open links in a new window.
      disableBlinkFeatures: 'Auxclick',
    },
  });
  const contents = window.webContents;
  // The station opens no other windows and no links: everything it needs is in this one.
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.on('will-navigate', (event, url) => {
    if (!url.startsWith(`${APP_ORIGIN}/`)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  window.once('ready-to-show', () => window.show());
  void window.loadURL(`${APP_ORIGIN}/index.html`);
  return window;
}
