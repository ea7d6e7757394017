// Benchmark: per-device time through the whole pipeline (identify, KEYGEN, local CA, write chain
// and roots, read back) on simulated nRF91s behind real PTYs at 115,200 baud with a realistic
// KEYGEN time, for 1, 4, 16 and 32 ports in parallel. Printed beside the wire-plus-device lower bound
// measured in the same run for each device: bytes exchanged × 10 bits ÷ line rate + the time the
// simulated device itself spends (KEYGEN). Goals: ratio ≤ 1.10 on one port; ≥ 0.9 × linear
// scaling at 16 (throughput at N ÷ (N × throughput at 1)).
// Run: npm run bench:ports [-- KEYGEN_MS]
import 'reflect-metadata';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '../../main/log';
import { Bench } from '../../main/station/bench';
import { serialSlots } from '../../main/station/slot-sources';
import { Station } from '../../main/station/station';
import { hostModems, wireBoundMs } from './sim-host-client';

const BAUD = 115_200;
const KEYGEN_MS = Number(process.argv[2] ?? 1500);
const PASS = 'benchmark passphrase';
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'enroller-bench-ports-'));

async function run(ports: number): Promise<{ wallMs: number; boundMs: number; bytes: number; cpuMs: number }> {
  const dir = path.join(root, `n${ports}`);
  const station = Station.open({
    dataDir: path.join(dir, 'station'),
    appVersion: 'bench',
    mode: 'cli',
    log: createLogger({ level: 'silent' }),
  });
  const sims = await hostModems({
    count: ports,
    dir: path.join(dir, 'pty'),
    seedPrefix: `bench-${ports}`,
    baud: BAUD,
    keygenMs: KEYGEN_MS,
  });
  try {
    await station.ca.init({ passphrase: PASS });
    const bench = new Bench(
      station,
      serialSlots(undefined, sims.ports),
      { deviceChanged: () => undefined, batchProgress: () => undefined },
      createLogger({ level: 'silent' }),
    );
    await bench.unlock(PASS);
    const cpuBefore = process.cpuUsage();
    const start = process.hrtime.bigint();
    await bench.start({ deviceType: 'nrf91-default', ports: sims.ports });
    const outcomes = await bench.finished();
    const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
    const cpu = process.cpuUsage(cpuBefore);
    const cpuMs = (cpu.user + cpu.system) / 1000 / ports;
    const failed = outcomes.filter((o) => o.status !== 'verified');
    if (failed.length) throw new Error(`${failed.length} device(s) failed: ${JSON.stringify(failed[0])}`);
    const bytes = await sims.bytes();
    const boundMs = wireBoundMs(bytes, BAUD, KEYGEN_MS);
    return { wallMs, boundMs, bytes: bytes.reduce((a, b) => a + b, 0) / ports, cpuMs };
  } finally {
    await sims.stop();
    station.close();
  }
}

async function main() {
  console.log(
    `pipeline per device at ${BAUD} baud, KEYGEN ${KEYGEN_MS} ms (simulated nRF91 behind socat PTYs, local CA)`,
  );
  console.log('ports  batch s  bound s  ratio  s/device  bytes/device  devices/h  scaling  station CPU ms/device');
  let single: number | undefined;
  for (const ports of [1, 4, 16, 32]) {
    const { wallMs, boundMs, bytes, cpuMs } = await run(ports);
    const perHour = (ports / wallMs) * 3_600_000;
    single ??= perHour;
    const scaling = perHour / (ports * single);
    console.log(
      `${String(ports).padStart(5)}  ${(wallMs / 1000).toFixed(2).padStart(7)}  ` +
        `${(boundMs / 1000).toFixed(2).padStart(7)}  ${(wallMs / boundMs).toFixed(2).padStart(5)}  ` +
        `${(wallMs / 1000 / ports).toFixed(2).padStart(8)}  ${Math.round(bytes).toString().padStart(12)}  ` +
        `${Math.round(perHour).toString().padStart(9)}  ${scaling.toFixed(2).padStart(7)}  ` +
        `${cpuMs.toFixed(0).padStart(20)}`,
    );
  }
  if (!process.env.KEEP) fs.rmSync(root, { recursive: true, force: true });
  else console.log(root);
}

await main();
