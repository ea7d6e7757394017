// `enroller serve`: browser mode on 127.0.0.1, and the station's local socket for attached CLI commands.
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { createDispatch } from '../../api/dispatch';
import { benchEventsTo, EventHub } from '../../api/events';
import { createStationService, queueEntries, stationGuard } from '../../api/station-service';
import { startSyncWorker } from '../../station/sync/sync-worker';
import { startBrowserServer } from '../../browser/server';
import { ensureRendererBuilt } from '../../browser/renderer-build';
import { parseFaultSpec, type FaultSpec } from '../../devices/nrf91-sim/fault-spec';
import { inProcessModems } from '../../devices/nrf91-sim/memory-host';
import { Bench, type BenchEvents } from '../../station/bench';
import type { Station } from '../../station/station';
import type { Logger } from '../../log';
import { serialSlots, simulatedSlots, tpmSlots } from '../../station/slot-sources';
import { packageRoot } from '../context';
import { loggedContext, openStation } from '../with-station';
import { parseCount, parsePort } from '../numbers';
import type { RunCli } from '../invocation';
import { readSecret } from '../secrets';
import { startAttachServer } from '../attach/attach-server';
import { EnrollerError } from '../../../shared/errors';
import { BackupSchedule, parseInterval } from '../../station/backup-schedule';
import { FleetWorker } from '../../station/fleet/fleet-worker';

function intervalOption(text: string): string {
  try {
    parseInterval(text);
    return text;
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

interface ServeOptions {
  port: number;
  simulate: number;
  keygenDelay: number;
  simFault?: FaultSpec[];
  devicePort?: string[];
  tpm?: string[];
  passphraseFile?: string;
  backupDir?: string;
  backupEvery: string;
  backupKeep: number;
}

/** The bench `serve` runs: simulated modems (with any faults asked for), then serial ports and TPMs. */
function benchFor(station: Station, options: ServeOptions, events: BenchEvents, log: Logger): Bench {
  const modems = inProcessModems(options.simulate, {
    dir: path.join(station.dataDir, 'simulated-modems'),
    keygenDelayMs: options.keygenDelay,
  });
  for (const { slot, fault, when } of options.simFault ?? []) modems[slot]?.inject(fault, when);
  const serial = serialSlots(undefined, options.devicePort ?? []);
  const sources = simulatedSlots(modems, options.tpm?.length ? tpmSlots(options.tpm, serial) : serial);
  return new Bench(station, sources, events, log);
}

/** Scheduled backups need a passphrase to seal them with: refused before anything starts. */
function refuseUnsealableBackups(options: ServeOptions): void {
  if (options.backupDir && !options.passphraseFile)
    throw new EnrollerError(
      'CA_PASSPHRASE_REQUIRED',
      'Scheduled backups are sealed with the station passphrase: give --passphrase-file with --backup-dir.',
    );
}

/** `--backup-dir` for this run, else the schedule a supervisor saved; sealed with the session's passphrase. */
function scheduledBackups(station: Station, bench: Bench, options: ServeOptions, log: Logger): BackupSchedule {
  const backups = new BackupSchedule(station, { passphrase: () => bench.sessionPassphrase(), log });
  if (!options.backupDir) return backups.startSaved();
  const plan = { dir: path.resolve(options.backupDir), every: options.backupEvery, keep: options.backupKeep };
  backups.start(plan, 'command line');
  return backups;
}

/** What a running station does by itself: the queue's sync, scheduled backups, the fleet's sync. */
function backgroundWork(station: Station, bench: Bench, hub: EventHub, options: ServeOptions, log: Logger) {
  // Drains the offline queue in the background while the station runs (each item keeps its backoff).
  const sync = startSyncWorker(station, {
    intervalMs: 30_000,
    passphrase: () => bench.sessionPassphrase(),
    log,
    onChange: () => hub.emit('queue:changed', { entries: queueEntries(station) }),
  });
  const backups = scheduledBackups(station, bench, options, log);
  // Replicates to the fleet in the background when the station joined one (back-off while it is away).
  const fleet = new FleetWorker(station, { log, onChange: (status) => hub.emit('fleet:changed', status) }).start();
  return { sync, backups, fleet };
}

/** `serve`: browser mode, the attach socket and the sync worker on one open station. */
export function serveCommand(runCli: RunCli): Command {
  return new Command('serve')
    .description('browser mode on 127.0.0.1; the first stdout line is the URL with its access token')
    .option('--port <n>', 'TCP port (default: a free one)', (v) => parsePort(v), 0)
    .option('--simulate <n>', 'attach N simulated nRF91 modems in this process', (v) => parseCount(v, 0), 0)
    .option('--keygen-delay <ms>', 'time KEYGEN takes inside a simulated modem', (v) => parseCount(v, 0), 300)
    .option(
      '--sim-fault <slot:fault:command>',
      'a fault for a simulated modem, to see a recovery (e.g. 2:drop-reply:AT+CGSN); repeatable',
      (v, previous: FaultSpec[] = []) => [...previous, parseFaultSpec(v)],
    )
    .option('--device-port <path...>', 'serial ports to add to the bench (PTYs are not listed by the OS)')
    .option(
      '--tpm <tcti...>',
      'TPM 2.0 devices to add to the bench, by TCTI (device:/dev/tpmrm0, swtpm:path=SOCKET, …)',
    )
    .option(
      '--passphrase-file <file>',
      'unlock the station at start (headless line stations; attached CLI commands then need no passphrase)',
    )
    .option('--backup-dir <dir>', 'take backups on a schedule into this folder (needs --passphrase-file)')
    .option('--backup-every <interval>', 'how often: 30m, 6h, 1d …', (v) => intervalOption(v), '1d')
    .option('--backup-keep <n>', 'how many scheduled backups to keep', (v) => parseCount(v, 1), 7)
    .action(async (options: ServeOptions, command: Command) => {
      refuseUnsealableBackups(options);
      const ctx = loggedContext(command);
      const { out, log } = ctx;
      // A fresh checkout has no built UI yet, an edited one a stale one: built (to stderr) first.
      const rendererDir = ensureRendererBuilt(packageRoot);
      const station = await openStation(ctx, 'browser');
      const hub = new EventHub();
      const bench = benchFor(station, options, benchEventsTo(hub), log);
      if (options.passphraseFile)
        await bench.unlock(await readSecret(options.passphraseFile, 'Station passphrase'), 'serve');
      const { sync, backups, fleet } = backgroundWork(station, bench, hub, options, log);
      const server = await startBrowserServer({
        dispatch: createDispatch(
          createStationService(station, bench, { sync, backups, fleet }),
          log,
          stationGuard(station),
        ),
        events: hub,
        rendererDir,
        log,
        port: options.port,
      });
      const attach = await startAttachServer({ dataDir: station.dataDir, running: { station, bench }, runCli, log });
      // The URL comes first and alone, so scripts can read one line and open it.
      out.record({ url: server.url, port: server.port, dataDir: station.dataDir, socket: attach?.path }, server.url);
      const stop = async () => {
        await attach?.close();
        await backups.stop();
        await fleet.stop();
        await sync.stop();
        await server.close();
        station.close();
        process.exit(0);
      };
      process.once('SIGINT', () => void stop());
      process.once('SIGTERM', () => void stop());
    });
}
