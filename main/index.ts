// Electron entry: one instance, one station, one hardened window. Everything else runs in
// plain Node modules so it can be tested without an Electron binary.
import path from 'node:path';
import { app } from 'electron';
import { createDispatch } from './api/dispatch';
import { EventHub } from './api/events';
import { createStationService } from './api/station-service';
import { bindIpc, forwardEvents } from './electron/ipc';
import { registerAppScheme, serveRenderer } from './electron/protocol';
import { createStationWindow, lockDownSession } from './electron/window';
import { createLogger } from './log';
import { resolveDataDir } from './station/data-dir';
import { Station } from './station/station';

registerAppScheme();

if (!app.requestSingleInstanceLock()) {
  // A second station on the same data folder would fight over every serial port.
  app.quit();
} else {
  void app.whenReady().then(start);
}

function start(): void {
  const dataDir = resolveDataDir({ env: process.env });
  const log = createLogger({ destination: path.join(dataDir, 'logs', 'station.log') });
  const station = Station.open({ dataDir, appVersion: app.getVersion(), mode: 'electron', log });
  const hub = new EventHub();
  bindIpc(createDispatch(createStationService(station), log), log);

  lockDownSession();
  serveRenderer(path.join(import.meta.dirname, '../renderer'));
  const window = createStationWindow(path.join(import.meta.dirname, '../preload'));
  forwardEvents(hub, window.webContents);

  app.on('second-instance', () => {
    if (window.isMinimized()) window.restore();
    window.focus();
  });
  app.on('window-all-closed', () => app.quit());
  app.on('before-quit', () => station.close());
}
