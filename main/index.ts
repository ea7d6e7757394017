// Electron entry: one instance, one station, one hardened window. Everything else runs in
// plain Node modules so it can be tested without an Electron binary.
import path from 'node:path';
import { app } from 'electron';
import { createDispatch } from './api/dispatch';
import { benchEventsTo, EventHub } from './api/events';
import { createStationService, queueEntries, stationGuard } from './api/station-service';
import { startSyncWorker } from './station/sync/sync-worker';
import { bindIpc, forwardEvents } from './electron/ipc';
import { registerAppScheme, serveRenderer } from './electron/protocol';
import { createStationWindow, lockDownSession } from './electron/window';
import { createLogger } from './log';
import { resolveDataDir } from './station/data-dir';
import { Station } from './station/station';
import { Bench } from './station/bench';
import { serialSlots, simulatedSlots } from './station/slot-sources';
import { inProcessModems } from './devices/nrf91-sim/memory-host';
import { PassphraseKeychain } from './station/keychain';
import { safeStorageVault } from './electron/safe-storage-vault';
import { startAttachServer } from './cli/attach/attach-server';
import { runCli } from './cli/program';
import { BackupSchedule } from './station/backup-schedule';
import { FleetWorker } from './station/fleet/fleet-worker';

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
  // `npm start` attaches a few simulated modems (`--simulate N`) so a newcomer can run a batch
  // with no hardware; real USB serial ports are always on the bench too.
  const simulate = Number(
    /^--simulate=(\d+)$/.exec(process.argv.find((a) => a.startsWith('--simulate=')) ?? '')?.[1] ?? 0,
  );
  const modems = inProcessModems(simulate, { dir: path.join(dataDir, 'simulated-modems') });
  const bench = new Bench(station, simulatedSlots(modems, serialSlots()), benchEventsTo(hub), log);
  const sync = startSyncWorker(station, {
    intervalMs: 30_000,
    passphrase: () => bench.sessionPassphrase(),
    log,
    onChange: () => hub.emit('queue:changed', { entries: queueEntries(station) }),
  });
  // Backups on the schedule a supervisor saved in Settings, sealed with the unlocked session's passphrase.
  const backups = new BackupSchedule(station, { passphrase: () => bench.sessionPassphrase(), log }).startSaved();
  // Replicates to the fleet in the background when the station joined one (back-off while it is away).
  const fleet = new FleetWorker(station, { log, onChange: (status) => hub.emit('fleet:changed', status) }).start();
  const keychain = new PassphraseKeychain(dataDir, safeStorageVault());
  bindIpc(
    createDispatch(
      createStationService(station, bench, { sync, keychain, backups, fleet }),
      log,
      stationGuard(station),
    ),
    log,
  );

  // `enroller …` in a terminal on this machine runs through this station (unlocked, one database).
  const attach = startAttachServer({ dataDir, running: { station, bench }, runCli, log });

  lockDownSession();
  serveRenderer(path.join(import.meta.dirname, '../renderer'));
  const window = createStationWindow(path.join(import.meta.dirname, '../preload'));
  forwardEvents(hub, window.webContents);

  app.on('second-instance', () => {
    if (window.isMinimized()) window.restore();
    window.focus();
  });
  app.on('window-all-closed', () => app.quit());
  app.on('before-quit', () => {
    void sync.stop();
    void backups.stop();
    void fleet.stop();
    void attach.then((server) => server?.close());
    station.close();
  });
}
