// The line engineer's interface and the test harness's: `enroller [--data-dir DIR] <command>`.
// Names, flags and JSON fields are a contract (DESIGN.md); extend, never rename.
import 'reflect-metadata';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Command, Option } from 'commander';
import { createDispatch } from './api/dispatch';
import { EventHub } from './api/events';
import { createStationService } from './api/station-service';
import { startBrowserServer } from './browser/server';
import { createOutput, describeError, type Output } from './cli/output';
import { startPtySimulator, type PtySimulator } from './devices/nrf91-sim/pty-host';
import type { Termination } from './devices/nrf91-sim/simulator';
import { createLogger, type Logger } from './log';
import { resolveDataDir } from './station/data-dir';
import { Station, type StationMode } from './station/station';

const packageRoot = path.resolve(import.meta.dirname, '..');
const appVersion = (createRequire(import.meta.url)(path.join(packageRoot, 'package.json')) as { version: string }).version;

interface GlobalOptions {
  dataDir?: string;
  json: boolean;
  logLevel: string;
}

const program = new Command()
  .name('enroller')
  .description('Floor Enroller: enroll devices with device-born keys and verified certificates.')
  .version(appVersion)
  .option('--data-dir <dir>', 'station data folder (default: $ENROLLER_DATA_DIR, else the OS app-data folder)')
  .option('--json', 'one JSON object per line on stdout', false)
  .addOption(new Option('--log-level <level>', 'log level on stderr').choices(['silent', 'error', 'warn', 'info', 'debug']).default('warn'))
  .showHelpAfterError();

function context(command: Command): { out: Output; log: Logger; openStation: (mode: StationMode) => Station } {
  const options = command.optsWithGlobals<GlobalOptions>();
  const log = createLogger({ level: options.logLevel as 'info' });
  return {
    out: createOutput(options.json),
    log,
    openStation: (mode) => Station.open({ dataDir: resolveDataDir({ flag: options.dataDir }), appVersion, mode, log }),
  };
}

program
  .command('info')
  .description('print the station version, contract version, data folder and schema version')
  .action(async (_options, command: Command) => {
    const { out, openStation } = context(command);
    const station = openStation('cli');
    try {
      const info = station.info();
      out.record(info, Object.entries(info).map(([k, v]) => `${k.padEnd(16)} ${String(v)}`).join('\n'));
    } finally {
      station.close();
    }
  });

program
  .command('serve')
  .description('browser mode on 127.0.0.1; the first stdout line is the URL with its access token')
  .option('--port <n>', 'TCP port (default: a free one)', (v) => parsePort(v), 0)
  .action(async (options: { port: number }, command: Command) => {
    const { out, log, openStation } = context(command);
    const station = openStation('browser');
    const hub = new EventHub();
    const server = await startBrowserServer({
      dispatch: createDispatch(createStationService(station), log),
      events: hub,
      rendererDir: path.join(packageRoot, 'out', 'renderer'),
      log,
      port: options.port,
    });
    // The URL comes first and alone, so scripts can read one line and open it.
    out.record({ url: server.url, port: server.port, dataDir: station.dataDir }, server.url);
    const stop = async () => {
      await server.close();
      station.close();
      process.exit(0);
    };
    process.once('SIGINT', () => void stop());
    process.once('SIGTERM', () => void stop());
  });

program
  .command('sim')
  .description('N simulated nRF91 modems on real PTYs (socat); prints one port path per line, runs until stopped')
  .requiredOption('--count <n>', 'how many modems', (v) => parseCount(v))
  .option('--dir <dir>', 'folder for the PTY links and each modem\'s credential storage (default: <data dir>/sim)')
  .option('--baud <rate>', 'simulated UART line rate in baud (0 = unthrottled)', (v) => parseCount(v, 0), 115200)
  .option('--keygen-delay <ms>', 'time KEYGEN takes inside the modem', (v) => parseCount(v, 0), 1500)
  .addOption(new Option('--termination <mode>', 'the firmware\'s line termination').choices(['CR', 'LF', 'CRLF']).default('CR'))
  .action(async (options: { count: number; dir?: string; baud: number; keygenDelay: number; termination: Termination }, command: Command) => {
    const { out } = context(command);
    const globals = command.optsWithGlobals<GlobalOptions>();
    const dir = path.resolve(options.dir ?? path.join(resolveDataDir({ flag: globals.dataDir }), 'sim'));
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
  });

function parseCount(value: string, min = 1): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`not a whole number ≥ ${min}: ${value}`);
  return n;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`not a TCP port: ${value}`);
  return port;
}

program.parseAsync(process.argv).catch((error: unknown) => {
  const { code, message } = describeError(error);
  createOutput(process.argv.includes('--json')).fail(code, message);
  process.exitCode = 1;
});
