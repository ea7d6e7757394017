// Benchmark: one TPM provisioned end to end through the station (local CA, EC P-256 key created
// fresh each round, certificate into NV and read back), against swtpm on a Unix socket.
// Lower bound, measured in the same run on the same TPM: the tpm2-tools commands the work cannot
// do without (with the flushes a TPM without a resource manager needs), run back to back — read the EK certificate,
// create + load +
// persist the key, read its public key, one signature, write the certificate into NV and read it
// back. ratio = station time ÷ that bound (1.00 = no overhead beyond the TPM's own work).
// Run: npm run bench:tpm [-- ROUNDS]
import 'reflect-metadata';
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createLogger } from '../../main/log';
import { Bench } from '../../main/station/bench';
import { tpmSlots } from '../../main/station/slot-sources';
import { Station } from '../../main/station/station';
import { startSwtpm } from '../support/swtpm';

const ROUNDS = Number(process.argv[2] ?? 10);
const PASS = 'benchmark passphrase';
const run = promisify(execFile);
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'enroller-bench-tpm-'));
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const swtpm = await startSwtpm({ ekCertificate: true });
const tools = (tool: string, ...args: string[]) => run(tool, [`--tcti=${swtpm.tcti}`, ...args], { encoding: 'buffer' });
const file = (name: string) => path.join(root, name);

/** The TPM's own work for one device, with nothing of the station around it. */
async function bound(round: number): Promise<number> {
  const handle = '0x81000300';
  const start = performance.now();
  await tools('tpm2_nvread', '0x01c00002', '-C', 'o', '-s', '1016', '-o', file('ek.der'));
  await tools('tpm2_createprimary', '-C', 'o', '-g', 'sha256', '-G', 'ecc256:aes128cfb', '-c', file('p.ctx'));
  // swtpm has no resource manager and three transient slots: each loaded object is flushed.
  await tools('tpm2_flushcontext', '-t');
  await tools(
    'tpm2_create',
    '-C',
    file('p.ctx'),
    '-G',
    'ecc256:ecdsa-sha256',
    '-a',
    'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|sign',
    '-u',
    file('k.pub'),
    '-r',
    file('k.priv'),
  );
  await tools('tpm2_flushcontext', '-t');
  await tools('tpm2_load', '-C', file('p.ctx'), '-u', file('k.pub'), '-r', file('k.priv'), '-c', file('k.ctx'));
  await tools('tpm2_evictcontrol', '-C', 'o', '-c', file('k.ctx'), handle);
  await tools('tpm2_flushcontext', '-t');
  await tools('tpm2_readpublic', '-c', handle, '-f', 'der', '-o', file('pub.der'));
  fs.writeFileSync(file('digest'), crypto.createHash('sha256').update(String(round)).digest());
  await tools(
    'tpm2_sign',
    '-c',
    handle,
    '-g',
    'sha256',
    '-s',
    'ecdsa',
    '-d',
    '-f',
    'plain',
    '-o',
    file('sig'),
    file('digest'),
  );
  fs.writeFileSync(file('cert'), crypto.randomBytes(560));
  await tools('tpm2_nvdefine', '0x01500300', '-C', 'o', '-s', '560', '-a', 'ownerread|ownerwrite|authread|authwrite');
  await tools('tpm2_nvwrite', '0x01500300', '-C', 'o', '-i', file('cert'));
  await tools('tpm2_nvread', '0x01500300', '-C', 'o', '-s', '560', '-o', file('back'));
  const elapsed = performance.now() - start;
  // Cleanup (not timed), so the next round starts from the same TPM state.
  await tools('tpm2_evictcontrol', '-C', 'o', '-c', handle);
  await tools('tpm2_nvundefine', '-C', 'o', '0x01500300');
  return elapsed;
}

try {
  const station = Station.open({
    dataDir: path.join(root, 'station'),
    appVersion: 'bench',
    mode: 'cli',
    log: createLogger({ level: 'silent' }),
  });
  await station.ca.init({ passphrase: PASS });
  const bench = new Bench(
    station,
    tpmSlots([swtpm.tcti]),
    { deviceChanged: () => undefined, batchProgress: () => undefined },
    createLogger({ level: 'silent' }),
  );
  await bench.unlock(PASS);
  const stationMs: number[] = [];
  const boundMs: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    boundMs.push(await bound(round));
    const start = performance.now();
    await bench.start({ deviceType: 'tpm-default', force: round > 0 });
    const [outcome] = await bench.finished();
    stationMs.push(performance.now() - start);
    if (outcome?.status !== 'verified') throw new Error(`round ${round}: ${JSON.stringify(outcome)}`);
  }
  station.close();
  const s = median(stationMs);
  const b = median(boundMs);
  console.log(`TPM provisioning (swtpm, EC P-256, local CA), median of ${ROUNDS} rounds`);
  console.log(
    `station: ${s.toFixed(0)} ms per device   bound (the TPM's own commands): ${b.toFixed(0)} ms   ratio ` +
      `${(s / b).toFixed(2)}`,
  );
} finally {
  await swtpm.stop();
}
