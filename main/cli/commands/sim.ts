// `enroller sim`: N simulated nRF91 modems on real PTYs (socat), for benches and tests without hardware.
import path from 'node:path';
import { Command, Option } from 'commander';
import { startPtySimulator, type PtySimulator } from '../../devices/nrf91-sim/pty-host';
import type { Termination } from '../../devices/nrf91-sim/simulator';
import { context } from '../context';
import { parseCount } from '../numbers';

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
