// Benchmark: `enroller enroll --csr DIR` of many CSR files on the station CA, as line automation
// runs it (a cold CLI process: start-up, CA unlock, every certificate durable before it is
// reported). Printed beside the bound measured in the same run on the same disk: one
// synchronous=FULL SQLite commit per certificate (what a station that commits each certificate on
// its own cannot beat). Goal (#18): ratio ≥ 0.4. Peak RSS is printed for each size: it must stay
// flat from 10,000 to 100,000 CSRs.
// Run: npm run bench:bulk [-- 10000,100000]
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { makeCsr } from '../helpers/csr';

const SIZES = (process.argv[2] ?? '10000,100000').split(',').map(Number);
const PASS = 'benchmark passphrase';
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'enroller-bench-bulk-'));
const bin = path.join(import.meta.dirname, '../../main/bin/enroller.mjs');

/** COUNT CSR files, each with its own key, written `parallel` at a time (key making is threaded). */
async function makeCsrs(dir: string, count: number, from: number): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  const one = async (i: number) =>
    fs.writeFileSync(path.join(dir, `bulk-${i}.der`), await makeCsr({ name: `CN=bulk-${i}` }));
  for (let i = from; i < count; i += 256) {
    await Promise.all(Array.from({ length: Math.min(256, count - i) }, (_, k) => one(i + k)));
  }
}

/** Commits/s with one synchronous=FULL transaction per certificate-sized row, on the same disk. */
function commitBound(dir: string): number {
  const db = new Database(path.join(dir, 'bound.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE certs (serial TEXT PRIMARY KEY, der BLOB NOT NULL)');
  const insert = db.prepare('INSERT INTO certs VALUES (?, ?)');
  const row = Buffer.alloc(600, 1);
  const n = 3000;
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) db.transaction(() => insert.run(`s${i}`, row))();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  db.close();
  return n / seconds;
}

function cli(dataDir: string, args: string[]): Promise<{ seconds: number; lines: string[]; peakRssMb: number }> {
  const start = process.hrtime.bigint();
  const child = spawn(process.execPath, [bin, '--data-dir', dataDir, '--no-attach', '--json', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  let peak = 0;
  const poll = setInterval(() => {
    const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
    peak = Math.max(peak, Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0));
  }, 50);
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) =>
    child.on('exit', () => {
      clearInterval(poll);
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      resolve({ seconds, lines: out.trim().split('\n').filter(Boolean), peakRssMb: peak / 1024 });
    }),
  );
}

async function main() {
  const passFile = path.join(root, 'pass');
  fs.writeFileSync(passFile, PASS, { mode: 0o600 });
  const bound = commitBound(root);
  console.log(`bound: one FULL commit per certificate   ${bound.toFixed(0)} certificates/s (this disk, this run)`);
  let made = 0;
  const csrDir = path.join(root, 'csrs');
  for (const size of SIZES) {
    process.stdout.write(`preparing ${size} CSR files… `);
    await makeCsrs(csrDir, size, made);
    made = size;
    console.log('done');
    const dataDir = path.join(root, `station-${size}`);
    await cli(dataDir, ['ca', 'init', '--passphrase-file', passFile]);
    const outDir = path.join(root, `certs-${size}`);
    const args = ['enroll', '--csr', csrDir, '--profile', 'local', '--out-dir', outDir, '--passphrase-file', passFile];
    const run = await cli(dataDir, args);
    const issued = run.lines.filter((l) => (JSON.parse(l) as { status: string }).status === 'issued').length;
    const rate = issued / run.seconds;
    console.log(
      `${String(size).padStart(7)} CSRs  issued ${issued}  ${run.seconds.toFixed(1)} s (cold CLI, all in)  ` +
        `${rate.toFixed(0)} certificates/s  ratio ${(rate / bound).toFixed(2)}  ` +
        `peak RSS ${run.peakRssMb.toFixed(0)} MB`,
    );
    if (issued !== size) process.exitCode = 1;
    fs.rmSync(outDir, { recursive: true, force: true });
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  fs.rmSync(root, { recursive: true, force: true });
}

void main();
