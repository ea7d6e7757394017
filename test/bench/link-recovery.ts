// What a recovery costs, on a simulated modem behind a real PTY at 115,200 baud: each operation is
// timed clean and with one fault, and the extra time is set against the lower bound measured in
// the same run — the lost command's own deadline plus one clean re-read of it (a reply that never
// comes cannot be noticed sooner, and the answer must then be asked for again). Goal: ratio ≤ 1.
//   npm run bench:links [-- --reps 3]
import { parseArgs } from 'node:util';
import { AtClient, TIMEOUTS } from '../../main/devices/nrf91/at-client';
import { Nrf91Modem } from '../../main/devices/nrf91/modem';
import { startPtySimulator, type PtySimulator } from '../../main/devices/nrf91-sim/pty-host';
import type { Fault } from '../../main/devices/nrf91-sim/simulator';
import { PortRegistry } from '../../main/devices/serial/port-registry';
import { openSerialTransport } from '../../main/devices/serial/serial-transport';
import { createLogger } from '../../main/log';
import { samplePem } from '../helpers/modem';
import { tempDir } from '../helpers/station';

const { values } = parseArgs({ options: { reps: { type: 'string', default: '3' } } });
const REPS = Number(values.reps);
const TAG = 16842753;
const registry = new PortRegistry();
const log = createLogger({ destination: `${tempDir('enroller-bench-')}/bench.log`, level: 'warn' });

interface Scenario {
  readonly name: string;
  readonly fault: Fault;
  readonly when: RegExp;
  /** The lost command's deadline. */
  readonly deadlineMs: number;
  /** The whole operation, timed clean and with the fault. */
  readonly operation: (modem: Nrf91Modem) => Promise<unknown>;
  /** The command alone, timed clean: the re-read. */
  readonly reread: (modem: Nrf91Modem) => Promise<unknown>;
}

const pem = await samplePem('Bench');
const keygen = (modem: Nrf91Modem) => modem.generateKey(TAG, 'CN=bench', undefined);
const scenarios: Scenario[] = [
  {
    name: 'reply to AT+CGSN lost (identify)',
    fault: 'drop-reply',
    when: /^AT\+CGSN/,
    deadlineMs: TIMEOUTS.default,
    operation: (m) => m.identify(),
    reread: (m) => m.at.command('AT+CGSN=1'),
  },
  {
    name: 'reply to AT+CFUN? lost',
    fault: 'drop-reply',
    when: /^AT\+CFUN\?/,
    deadlineMs: TIMEOUTS.default,
    operation: (m) => m.functionalMode(),
    reread: (m) => m.at.command('AT+CFUN?'),
  },
  {
    name: 'reply to a certificate write lost (read back)',
    fault: 'drop-reply',
    when: /^AT%CMNG=0/,
    deadlineMs: TIMEOUTS.credential,
    operation: (m) => m.write(TAG, 0, pem),
    reread: (m) => m.list(TAG, 0),
  },
  {
    name: 'modem reboots after KEYGEN ran (reply lost)',
    fault: 'reset-after',
    when: /^AT%KEYGEN/,
    deadlineMs: TIMEOUTS.credential,
    operation: keygen,
    reread: keygen,
  },
];

async function openModem(sim: PtySimulator): Promise<Nrf91Modem> {
  const transport = await openSerialTransport(sim.hostPath, registry, { owner: 'bench' });
  const modem = new Nrf91Modem(new AtClient(transport, log), log);
  await modem.connect();
  await modem.setFunctionalMode(4);
  return modem;
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const began = performance.now();
  await work();
  return performance.now() - began;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const dir = tempDir('enroller-bench-links-');
const rows: string[] = [];
for (const [index, scenario] of scenarios.entries()) {
  const sim = await startPtySimulator({ dir, seed: `bench-${index}`, baudRate: 115200, keygenDelayMs: 300 });
  const modem = await openModem(sim);
  const clean: number[] = [];
  const reread: number[] = [];
  const faulted: number[] = [];
  for (let rep = 0; rep < REPS; rep++) {
    clean.push(await timed(() => scenario.operation(modem)));
    if (scenario.reread !== scenario.operation) reread.push(await timed(() => scenario.reread(modem)));
    else reread.push(clean.at(-1)!);
    sim.simulator.inject(scenario.fault, scenario.when);
    faulted.push(await timed(() => scenario.operation(modem)));
  }
  await modem.at.close();
  await sim.close();
  const extra = median(faulted) - median(clean);
  const bound = scenario.deadlineMs + median(reread);
  const cells = [median(clean), median(faulted), extra, bound].map((ms) => ms.toFixed(0));
  rows.push(`| ${scenario.name} | ${cells.join(' | ')} | ${(extra / bound).toFixed(3)} |`);
}

console.log(`\nLink recovery on a PTY at 115200 baud, median of ${REPS} (ms):\n`);
console.log('| fault | clean | with fault | recovery cost | bound: deadline + re-read | ratio |');
console.log('|---|---|---|---|---|---|');
for (const row of rows) console.log(row);
console.log('\nGoal: ratio ≤ 1 (a recovery costs at most the lost command’s deadline plus its re-read).');
process.exit(0);
