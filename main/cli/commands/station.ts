// `enroller info`, `enroller serve` (browser mode) and `enroller sim` (simulated modems on PTYs).
import path from 'node:path';
import { Command, Option } from 'commander';
import { createDispatch } from '../../api/dispatch';
import { benchEventsTo, EventHub } from '../../api/events';
import { createStationService, queueEntries, stationGuard } from '../../api/station-service';
import { startSyncWorker } from '../../station/sync/sync-worker';
import { startBrowserServer } from '../../browser/server';
import { ensureRendererBuilt } from '../../browser/renderer-build';
import { parseFaultSpec, type FaultSpec } from '../../devices/nrf91-sim/fault-spec';
import { inProcessModems } from '../../devices/nrf91-sim/memory-host';
import { startPtySimulator, type PtySimulator } from '../../devices/nrf91-sim/pty-host';
import { Bench, type BenchEvents } from '../../station/bench';
import type { Station } from '../../station/station';
import type { Logger } from '../../log';
import { serialSlots, simulatedSlots, tpmSlots } from '../../station/slot-sources';
import type { Termination } from '../../devices/nrf91-sim/simulator';
import { context, packageRoot, withStation } from '../context';
import { parseCount, parsePort } from '../numbers';

export function infoCommand(): Command {
  return new Command('info')
    .description('print the station version, contract version, data folder and schema version')
    .action(async (_options: unknown, command: Command) => {
      await withStation(command, 'public', async (station, { out }) => {
        const info = station.info();
        out.record(
          info,
          Object.entries(info)
            .map(([k, v]) => `${k.padEnd(16)} ${String(v)}`)
            .join('\n'),
        );
      });
    });
}

interface ServeOptions {
  port: number;
  simulate: number;
  keygenDelay: number;
  simFault?: FaultSpec[];
  devicePort?: string[];
  tpm?: string[];
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

export function serveCommand(): Command {
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
    .action(async (options: ServeOptions, command: Command) => {
      const { out, log, openStation } = context(command);
      // A fresh checkout has no built UI yet, an edited one a stale one: built (to stderr) first.
      const rendererDir = ensureRendererBuilt(packageRoot);
      const station = openStation('browser');
      const hub = new EventHub();
      const bench = benchFor(station, options, benchEventsTo(hub), log);
      // Drains the offline queue in the background while the station runs (each item keeps its backoff).
      const sync = startSyncWorker(station, {
        intervalMs: 30_000,
        passphrase: () => bench.sessionPassphrase(),
        log,
        onChange: () => hub.emit('queue:changed', { entries: queueEntries(station) }),
      });
      const server = await startBrowserServer({
        dispatch: createDispatch(createStationService(station, bench, { sync }), log, stationGuard(station)),
        events: hub,
        rendererDir,
        log,
        port: options.port,
      });
      // The URL comes first and alone, so scripts can read one line and open it.
      out.record({ url: server.url, port: server.port, dataDir: station.dataDir }, server.url);
      const stop = async () => {
        await sync.stop();
        await server.close();
        station.close();
        process.exit(0);
      };
      process.once('SIGINT', () => void stop());
      process.once('SIGTERM', () => void stop());
    });
}

export function simCommand(): Command {
  return new Command('sim')
    .description('N simulated nRF91 modems on real PTYs (socat); prints one port path per line, runs until stopped')
    .requiredOption('--count <n>', 'how many modems', (v) => parseCount(v))
    .option('--dir <dir>', "folder for the PTY links and each modem's credential storage (default: <data dir>/sim)")
    .option('--baud <rate>', 'simulated UART line rate in baud (0 = unthrottled)', (v) => parseCount(v, 0), 115200)
    .option('--keygen-delay <ms>', 'time KEYGEN takes inside the modem', (v) => parseCount(v, 0), 1500)
    .addOption(
      new Option('--termination <mode>', "the firmware's line termination").choices(['CR', 'LF', 'CRLF']).default('CR'),
    )
    .action(
      async (
        options: { count: number; dir?: string; baud: number; keygenDelay: number; termination: Termination },
        command: Command,
      ) => {
        const { out, dataDir } = context(command);
        const dir = path.resolve(options.dir ?? path.join(dataDir, 'sim'));
        const sims: PtySimulator[] = [];
        for (let i = 0; i < options.count; i++) {
          const sim = await startPtySimulator({
            dir,
            seed: `bench-${i + 1}`,
            name: `ttyNRF${i + 1}`,
            baudRate: options.baud,
            keygenDelayMs: options.keygenDelay,
            termination: options.termination,
          });
          sims.push(sim);
          out.record({ port: sim.hostPath, imei: sim.simulator.imei }, sim.hostPath);
        }
        const stop = async () => {
          await Promise.all(sims.map((s) => s.close()));
          process.exit(0);
        };
        process.once('SIGINT', () => void stop());
        process.once('SIGTERM', () => void stop());
      },
    );
}
