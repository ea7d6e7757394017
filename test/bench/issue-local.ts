// Benchmark: 10,000 certificates from CSR files through the local authority, durably (every
// reservation and every certificate committed with synchronous=FULL before the next step).
// Prints certificates/s next to the two costs that bound it, measured in the same run:
//   raw P-256 signatures/s with the CA's key, and fsyncs/s on the data folder's disk.
// Each issuance needs 1 signature and 2 committed transactions (reserve, store), so
//   bound = 1 / (1/sign + 2/fsync)   and   ratio = measured / bound  (1.00 = no overhead).
// Run: npm run bench:issue [-- COUNT]
import 'reflect-metadata';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { webcrypto } from '../../main/pki/crypto';
import { intakeCsr } from '../../main/pki/csr-intake';
import { createLogger } from '../../main/log';
import { Station } from '../../main/station/station';
import { makeCsr, P256 } from '../helpers/csr';

const COUNT = Number(process.argv[2] ?? 10_000);
const PASS = 'benchmark passphrase';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'enroller-bench-'));
const csrDir = path.join(dir, 'csrs');
fs.mkdirSync(csrDir);

function rate(seconds: number, n: number): number {
  return n / seconds;
}

async function timed(work: () => Promise<void> | void): Promise<number> {
  const start = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

async function main() {
  process.stdout.write(`preparing ${COUNT} CSR files (P-256)… `);
  for (let i = 0; i < COUNT; i++) {
    fs.writeFileSync(path.join(csrDir, `bench-${i}.der`), await makeCsr({ name: `CN=bench-${i}` }));
  }
  console.log('done');

  const station = Station.open({
    dataDir: path.join(dir, 'station'),
    appVersion: 'bench',
    mode: 'cli',
    log: createLogger({ level: 'silent' }),
  });
  await station.ca.init({ passphrase: PASS });
  const authority = await station.ca.unlock(PASS);
  const deviceType = station.deviceTypes.get('nrf91-default');

  // Lower bound 1: raw signatures with a P-256 key, same library path.
  const caKey = await webcrypto.subtle.generateKey(P256, false, ['sign']);
  const tbs = crypto.randomBytes(400);
  const signN = 5000;
  const signSeconds = await timed(async () => {
    for (let i = 0; i < signN; i++) await webcrypto.subtle.sign(P256, caKey.privateKey, tbs);
  });
  // Lower bound 2: fsync on the same disk.
  const fsyncN = 500;
  const fd = fs.openSync(path.join(dir, 'station', 'fsync-probe'), 'w');
  const fsyncSeconds = await timed(() => {
    for (let i = 0; i < fsyncN; i++) {
      fs.writeSync(fd, tbs.subarray(0, 100));
      fs.fsyncSync(fd);
    }
  });
  fs.closeSync(fd);

  const files = fs.readdirSync(csrDir);
  const issueSeconds = await timed(async () => {
    for (const file of files) {
      const csr = await intakeCsr(new Uint8Array(fs.readFileSync(path.join(csrDir, file))));
      await authority.issue({ csr, deviceType, deviceId: file.replace(/\.der$/, ''), attributes: {} });
    }
  });
  const issued = station.db
    .prepare("SELECT count(*) FROM certificates WHERE status = 'issued'")
    .pluck()
    .get() as number;
  const integrity = station.db.pragma('integrity_check', { simple: true });
  station.close();

  const signRate = rate(signSeconds, signN);
  const fsyncRate = rate(fsyncSeconds, fsyncN);
  const certRate = rate(issueSeconds, files.length);
  const bound = 1 / (1 / signRate + 2 / fsyncRate);
  console.log(`issued              ${issued} certificates (integrity_check: ${integrity})`);
  console.log(`raw P-256 sign      ${signRate.toFixed(0)} /s`);
  console.log(`fsync               ${fsyncRate.toFixed(0)} /s`);
  console.log(`lower-bound rate    ${bound.toFixed(0)} certificates/s  (1 sign + 2 fsync each)`);
  console.log(`measured            ${certRate.toFixed(0)} certificates/s`);
  console.log(
    `ratio               ${(certRate / bound).toFixed(2)}  (measured / bound; 1.00 = nothing but the unavoidable work)`,
  );
  fs.rmSync(dir, { recursive: true, force: true });
  if (issued !== files.length) process.exitCode = 1;
}

void main();
