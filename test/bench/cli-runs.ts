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
const bin = path.join(import.meta.dirname, '../../main/bin/enroller.mjs');
const passFile = path.join(root, 'pass');

function timedRun(args: string[]): Promise<{ ms: number; code: number; stdout: string }> {
  const start = process.hrtime.bigint();
  return new Promise((resolve) =>
    execFile(process.execPath, args, (error, stdout) =>
      resolve({ ms: Number(process.hrtime.bigint() - start) / 1e6, code: error ? 1 : 0, stdout }),
    ),
  );
}

async function median(args: string[]): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) times.push((await timedRun(args)).ms);
  return times.sort((a, b) => a - b)[Math.floor(RUNS / 2)]!;
}

async function station(name: string): Promise<string> {
  const dataDir = path.join(root, name);
  const init = await timedRun([bin, '--data-dir', dataDir, 'ca', 'init', '--passphrase-file', passFile]);
  if (init.code !== 0) throw new Error('ca init failed');
  return dataDir;
}

async function provision(dataDir: string, count: number, name: string, attached: boolean) {
  const sims = await hostModems({
    count,
    dir: path.join(root, `pty-${name}`),
    seedPrefix: `cli-${name}`,
    baud: BAUD,
    keygenMs: KEYGEN_MS,
  });
  try {
    const args = [bin, '--data-dir', dataDir, '--json', ...(attached ? [] : ['--no-attach']), 'provision'];
    args.push('--device-type', 'nrf91-default', '--port', ...sims.ports);
    if (!attached) args.push('--passphrase-file', passFile);
    const run = await timedRun(args);
    const verified = run.stdout.split('\n').filter((l) => l.includes('"verified"')).length;
    if (verified !== count) throw new Error(`${count - verified} of ${count} devices not verified: ${run.stdout}`);
    return { ms: run.ms, boundMs: wireBoundMs(await sims.bytes(), BAUD, KEYGEN_MS) };
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

async function main() {
  fs.writeFileSync(passFile, 'benchmark passphrase', { mode: 0o600 });
  const coldDir = await station('cold');
  await timedRun([bin, '--data-dir', coldDir, 'info']); // builds the bundle if the sources changed
  const bare = await median(['-e', '0']);
  const cold = await median([bin, '--data-dir', coldDir, '--no-attach', 'info']);
  const attachedDir = await station('attached');
  const stopServe = await serve(attachedDir);
  const attached = await median([bin, '--data-dir', attachedDir, 'info']);
  console.log(`start-up (median of ${RUNS})      ms    × bare node`);
  console.log(`  node -e 0 (bound)     ${bare.toFixed(0).padStart(8)}`);
  console.log(
    `  enroller info, cold   ${cold.toFixed(0).padStart(8)}    ${(cold / bare).toFixed(2)}   (goal ≤ 150 ms)`,
  );
  console.log(`  enroller info, attached${attached.toFixed(0).padStart(7)}    ${(attached / bare).toFixed(2)}`);
  if (process.env.NODE_EXTRA_CA_CERTS)
    console.log(`  (NODE_EXTRA_CA_CERTS is set: Node reads that bundle at every start, inside every figure above)`);

  console.log(`\nprovision, one CLI process, KEYGEN ${KEYGEN_MS} ms, ${BAUD} baud`);
  console.log('  ports  mode       run s  bound s  ratio  × sequential bound  × nrfcredstore (1.10 × bound each)');
  const one = await provision(attachedDir, 1, 'attached-1', true);
  stopServe();
  const rows: Array<[number, string, { ms: number; boundMs: number }]> = [[1, 'attached', one]];
  for (const count of [1, 4, 16, 32])
    rows.push([count, 'cold', await provision(coldDir, count, `cold-${count}`, false)]);
  for (const [count, mode, { ms, boundMs }] of rows) {
    const sequential = (count * boundMs) / ms;
    console.log(
      `  ${String(count).padStart(5)}  ${mode.padEnd(9)}  ${(ms / 1000).toFixed(2).padStart(6)}  ` +
        `${(boundMs / 1000).toFixed(2).padStart(7)}  ${(ms / boundMs).toFixed(2).padStart(5)}  ` +
        `${sequential.toFixed(1).padStart(8)}  ${(sequential * NRFCREDSTORE_RATIO).toFixed(1).padStart(20)}`,
    );
  }
  fs.rmSync(root, { recursive: true, force: true });
}

await main();
