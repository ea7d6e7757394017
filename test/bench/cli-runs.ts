// Benchmark: the CLI as line automation runs it — one process per command (#18).
//  1. Start-up: `enroller info`, cold and attached to a running station, beside bare `node -e 0`
//     measured in the same run (no Node program starts faster). Goal: info ≤ 150 ms.
//  2. Devices: `enroller provision --port …` on simulated nRF91s behind real PTYs at 115,200 baud
//     (KEYGEN 1.5 s), for 1, 4, 16 and 32 ports in one run, start-up and CA unlock included; and one
//     device attached to `serve --passphrase-file`. Each beside the wire-plus-modem bound measured
//     for that run (bytes exchanged × 10 bits ÷ baud + KEYGEN; ports in parallel: the slowest port's).
//     Goals: one device cold ≤ 1.25 × bound, attached ≤ 1.08 × bound; 16 ports ≥ 14 × the
//     throughput of a tool that does one device at a time at its bound (nrfcredstore 1.x measured
//     1.10 × bound per device), i.e. ≥ 14 ÷ 1.10 = 12.7 × the sequential bound (16 devices in
//     ≤ 16 × 1.10 × bound ÷ 14). Printed as × nrfcredstore beside it.
// Run: npm run bench:cli
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { hostModems, wireBoundMs } from './sim-host-client';

const BAUD = 115_200;
const KEYGEN_MS = 1500;
const RUNS = 15;
/** nrfcredstore 1.x, measured in #18 on the same paced simulator: 1.10 × the bound per device, one at a time. */
const NRFCREDSTORE_RATIO = 1.1;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'enroller-bench-cli-'));
const bin = path.join(import.meta.dirname, '../../main/bin/enroller.cjs');
const passFile = path.join(root, 'pass');

interface Run {
  ms: number;
  /** Date.now() when the process was started and when it was seen to exit. */
  startedAt: number;
  endedAt: number;
  code: number;
  stdout: string;
}

function timedRun(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  const start = process.hrtime.bigint();
  const startedAt = Date.now();
  return new Promise((resolve) =>
    execFile(process.execPath, args, { env }, (error, stdout) =>
      resolve({
        ms: Number(process.hrtime.bigint() - start) / 1e6,
        startedAt,
        endedAt: Date.now(),
        code: error ? 1 : 0,
        stdout,
      }),
    ),
  );
}

async function median(args: string[], env?: NodeJS.ProcessEnv): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) times.push((await timedRun(args, env)).ms);
  return times.sort((a, b) => a - b)[Math.floor(RUNS / 2)]!;
}

async function station(name: string): Promise<string> {
  const dataDir = path.join(root, name);
  const init = await timedRun([bin, '--data-dir', dataDir, 'ca', 'init', '--passphrase-file', passFile]);
  if (init.code !== 0) throw new Error('ca init failed');
  return dataDir;
}

/** Each run's modems are new devices (a device met before would be skipped as already enrolled). */
let runs = 0;

async function provision(dataDir: string, count: number, name: string, attached: boolean) {
  const run = `${name}-${++runs}`;
  const sims = await hostModems({
    count,
    dir: path.join(root, `pty-${run}`),
    seedPrefix: `cli-${run}`,
    baud: BAUD,
    keygenMs: KEYGEN_MS,
  });
  try {
    const args = [bin, '--data-dir', dataDir, '--json', ...(attached ? [] : ['--no-attach']), 'provision'];
    args.push('--device-type', 'nrf91-default', '--port', ...sims.ports);
    if (!attached) args.push('--passphrase-file', passFile);
    const ran = await timedRun(args);
    const verified = ran.stdout.split('\n').filter((l) => l.includes('"verified"')).length;
    if (verified !== count) throw new Error(`${count - verified} of ${count} devices not verified: ${ran.stdout}`);
    const { firstIn, lastOut } = await sims.session();
    return {
      ms: ran.ms,
      boundMs: wireBoundMs(await sims.bytes(), BAUD, KEYGEN_MS),
      startUpMs: firstIn - ran.startedAt,
      sessionMs: lastOut - firstIn,
    };
  } finally {
    await sims.stop();
  }
}

async function serve(dataDir: string): Promise<() => void> {
  const child = spawn(process.execPath, [bin, '--data-dir', dataDir, 'serve', '--passphrase-file', passFile], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise((resolve) => readline.createInterface({ input: child.stdout }).once('line', resolve));
  return () => child.kill('SIGTERM');
}

type Provisioned = Awaited<ReturnType<typeof provision>>;

/** Device runs on a shared machine vary by a tenth: each row is the median of DEVICE_RUNS runs by ratio. */
const DEVICE_RUNS = 5;

async function medianRun(run: () => Promise<Provisioned>): Promise<Provisioned> {
  const runs: Provisioned[] = [];
  for (let i = 0; i < DEVICE_RUNS; i++) runs.push(await run());
  return runs.sort((a, b) => a.ms / a.boundMs - b.ms / b.boundMs)[Math.floor(DEVICE_RUNS / 2)]!;
}

async function startUp(): Promise<void> {
  const coldDir = await station('cold');
  await timedRun([bin, '--data-dir', coldDir, 'info']); // builds the bundle if the sources changed
  const attachedDir = await station('attached');
  const stopServe = await serve(attachedDir);
  console.log(`start-up (median of ${RUNS})             ms    × bare node`);
  // Node 20 loads its whole root-certificate store at start when NODE_EXTRA_CA_CERTS is set (~60 ms
  // here, before any of our code runs): every figure is printed with it as this machine has it, and
  // without it, as on a machine that does not set it.
  const environments: Array<[string, NodeJS.ProcessEnv]> = [['', process.env]];
  if (process.env.NODE_EXTRA_CA_CERTS) {
    const { NODE_EXTRA_CA_CERTS: _set, ...without } = process.env;
    environments[0]![0] = ' (NODE_EXTRA_CA_CERTS set)';
    environments.push([' (NODE_EXTRA_CA_CERTS unset)', without]);
  }
  for (const [label, env] of environments) {
    const bare = await median(['-e', '0'], env);
    const cold = await median([bin, '--data-dir', coldDir, '--no-attach', 'info'], env);
    const attached = await median([bin, '--data-dir', attachedDir, 'info'], env);
    console.log(label);
    console.log(`  node -e 0 (bound)            ${bare.toFixed(0).padStart(8)}`);
    console.log(
      `  enroller info, cold          ${cold.toFixed(0).padStart(8)}    ${(cold / bare).toFixed(2)}   (goal ≤ 150)`,
    );
    console.log(`  enroller info, attached      ${attached.toFixed(0).padStart(8)}    ${(attached / bare).toFixed(2)}`);
  }
  stopServe();
}

async function devices(): Promise<void> {
  const coldDir = path.join(root, 'cold');
  const attachedDir = path.join(root, 'attached');
  console.log(`\nprovision, one CLI process, KEYGEN ${KEYGEN_MS} ms, ${BAUD} baud (median of ${DEVICE_RUNS} runs)`);
  console.log('  start-up: process start → first byte at a modem; session: first byte in → last answer out');
  console.log(
    '  ports  mode       run s  bound s  ratio  start-up ms  session ÷ bound  × sequential bound  × nrfcredstore',
  );
  // The first provision after a build writes the command's code cache (as on any station, once):
  // not timed.
  await provision(coldDir, 1, 'warm-up', false);
  const stopServe = await serve(attachedDir);
  await provision(attachedDir, 1, 'attached-warm-up', true);
  const rows: Array<[number, string, Provisioned]> = [
    [1, 'attached', await medianRun(() => provision(attachedDir, 1, 'attached-1', true))],
  ];
  stopServe();
  for (const count of [1, 4, 16, 32])
    rows.push([count, 'cold', await medianRun(() => provision(coldDir, count, `cold-${count}`, false))]);
  for (const [count, mode, { ms, boundMs, startUpMs, sessionMs }] of rows) {
    const sequential = (count * boundMs) / ms;
    console.log(
      `  ${String(count).padStart(5)}  ${mode.padEnd(9)}  ${(ms / 1000).toFixed(2).padStart(6)}  ` +
        `${(boundMs / 1000).toFixed(2).padStart(7)}  ${(ms / boundMs).toFixed(2).padStart(5)}  ` +
        `${startUpMs.toFixed(0).padStart(11)}  ${(sessionMs / boundMs).toFixed(2).padStart(15)}  ` +
        `${sequential.toFixed(1).padStart(18)}  ${(sequential * NRFCREDSTORE_RATIO).toFixed(1).padStart(13)}`,
    );
  }
  console.log('  goals: 1 cold ≤ 1.25 × bound; 1 attached ≤ 1.08 × bound; 16 ports ≥ 14 × nrfcredstore');
}

async function main() {
  fs.writeFileSync(passFile, 'benchmark passphrase', { mode: 0o600 });
  await startUp();
  await devices();
  fs.rmSync(root, { recursive: true, force: true });
}

await main();
