// Benchmark: `enroller enroll --csr DIR` of many CSR files on the station CA, as line automation
// runs it (a cold CLI process: start-up, CA unlock, every certificate durable before it is
// reported). Printed beside the bound measured in the same run on the same disk: one
// synchronous=FULL SQLite commit per certificate (what a station that commits each certificate on
// its own cannot beat). Goal (#18): ratio ≥ 0.4. Peak RSS is printed for each size: it must stay
// flat from 10,000 to 100,000 CSRs. So is the CPU time the CLI took on all its threads, and how
// many cores that kept busy: a run near every core busy is bound by its work, not by waiting. And
// the main thread's time on a core beside its time waiting in the run queue for one: the run's
// own workers and the kernel's work for it (creating files) take the cores it would use.
// Two floors of this machine are measured in the same run and printed beside it, so the ratio can
// be read: creating a certificate's two files (written and renamed into one folder, one syncfs for
// all), and its cryptography (import the request's key, verify its signature, sign the
// certificate) on every core. Nothing is deleted until the end: on ext4, files deleted moments
// before make new ones slower to create (perf: a fifth of a run's CPU in the inode allocator's
// recently_deleted scan), so give the disk a minute between two runs of this script.
// With --pkcs11 (#20) the CA keys are in a SoftHSM2 token, and the bound is the token's own signing
// rate measured in the same run (every certificate is one signature in the token).
// Run: npm run bench:bulk [-- 10000,100000] [--pkcs11]
import 'reflect-metadata';
import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { makeCsr } from '../helpers/csr';
import { parsePkcs11Uri } from '../../main/pki/token/pkcs11-uri';
import { publicKeyInput } from '../../main/pki/spki-key';
import { softhsmToken } from '../helpers/softhsm';

const args = process.argv.slice(2);
const TOKEN = args.includes('--pkcs11');
const SIZES = (args.find((a) => /^\d/.test(a)) ?? '10000,100000').split(',').map(Number);
const PASS = 'benchmark passphrase';
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'enroller-bench-bulk-'));
const bin = path.join(import.meta.dirname, '../../main/bin/enroller.cjs');

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

/** Certificates/s if creating its two files were all a certificate cost (one folder, like --out-dir). */
function fileFloor(dir: string): number {
  fs.mkdirSync(dir);
  const pem = Buffer.alloc(1500, 0x41);
  const der = Buffer.alloc(600, 0x30);
  const n = 3000;
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    for (const [name, data] of [
      [`f${i}.pem`, pem],
      [`f${i}.der`, der],
    ] as const) {
      fs.writeFileSync(path.join(dir, `${name}.tmp`), data);
      fs.renameSync(path.join(dir, `${name}.tmp`), path.join(dir, name));
    }
  }
  execFileSync('sync', ['-f', dir]);
  return n / (Number(process.hrtime.bigint() - start) / 1e9);
}

/**
 * Certificates/s if a P-256 key import (the station's own, spki-key.ts), a signature check and a
 * signature were all, on every core. Not `export({ format: 'jwk' })`: on Node 20 it holds the key's
 * lock while it makes strings, and a garbage collection that then frees the key's generation job
 * waits for that lock forever (seen here: a loop of generate-then-export hung in 6 runs of 6).
 */
function cryptoFloor(): number {
  const device = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ca = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const input = publicKeyInput(device.publicKey.export({ format: 'der', type: 'spki' }));
  const data = Buffer.alloc(400, 7);
  const signature = crypto.sign('sha256', data, device.privateKey);
  const n = 2000;
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const key = crypto.createPublicKey(input);
    if (!crypto.verify('sha256', data, key, signature)) throw new Error('verify');
    crypto.sign('sha256', data, ca.privateKey);
  }
  return (n / (Number(process.hrtime.bigint() - start) / 1e9)) * os.availableParallelism();
}

/** Clock ticks per second of /proc/<pid>/stat's CPU times. */
const TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

interface CliRun {
  readonly seconds: number;
  readonly lines: string[];
  readonly peakRssMb: number;
  /** User + system CPU seconds of the CLI and its threads, as last sampled before it exited. */
  readonly cpuSeconds: number;
  /**
   * The main thread's seconds on a core and waiting in the run queue for one (its schedstat), as
   * last sampled; undefined where the kernel keeps no scheduler statistics.
   */
  readonly mainThread: { readonly onCpu: number; readonly waiting: number } | undefined;
}

function cli(dataDir: string, args: string[]): Promise<CliRun> {
  const start = process.hrtime.bigint();
  const child = spawn(process.execPath, [bin, '--data-dir', dataDir, '--no-attach', '--json', ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  let peak = 0;
  let cpuSeconds = 0;
  let mainThread: CliRun['mainThread'];
  const poll = setInterval(() => {
    try {
      const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
      peak = Math.max(peak, Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0));
      // Fields 14 and 15 (utime, stime), counted after the command name's closing parenthesis.
      const stat = fs.readFileSync(`/proc/${child.pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      cpuSeconds = (Number(fields[11]) + Number(fields[12])) / TICKS;
      const [onCpu, waiting] = fs
        .readFileSync(`/proc/${child.pid}/task/${child.pid}/schedstat`, 'utf8')
        .split(' ')
        .map((ns) => Number(ns) / 1e9);
      mainThread = { onCpu: onCpu!, waiting: waiting! };
    } catch {
      // Gone between two samples: the last one stands.
    }
  }, 50);
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) =>
    child.on('exit', () => {
      clearInterval(poll);
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      const lines = out.trim().split('\n').filter(Boolean);
      resolve({ seconds, lines, peakRssMb: peak / 1024, cpuSeconds, mainThread });
    }),
  );
}

/** P-256 signatures per second by the token itself, through the same WebCrypto the station uses. */
async function tokenSignBound(uri: string, pin: string): Promise<number> {
  const { Crypto } = await import('node-webcrypto-p11');
  // The bench's own token is the only one in its SoftHSM2 folder: slot 0.
  const crypto = new Crypto({ library: parsePkcs11Uri(uri).modulePath, slot: 0, readWrite: true, pin });
  const keys = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
  const data = Buffer.alloc(400, 7);
  const n = 2000;
  const start = process.hrtime.bigint();
  const ecdsa = { name: 'ECDSA', hash: 'SHA-256' } as Algorithm;
  for (let i = 0; i < n; i++) await crypto.subtle.sign(ecdsa, keys.privateKey, data);
  crypto.close();
  return n / (Number(process.hrtime.bigint() - start) / 1e9);
}

async function main() {
  const token = TOKEN ? softhsmToken('bench-ca', '135790') : undefined;
  const passFile = token?.pinFile ?? path.join(root, 'pass');
  if (!token) fs.writeFileSync(passFile, PASS, { mode: 0o600 });
  const bound = token ? await tokenSignBound(token.uri, '135790') : commitBound(root);
  const what = token ? 'P-256 signatures in the token' : 'one FULL commit per certificate';
  console.log(`bound: ${what}   ${bound.toFixed(0)} certificates/s (this machine, this run)`);
  const floors = { files: fileFloor(path.join(root, 'file-floor')), crypto: cryptoFloor() };
  console.log(
    `floors: two files created ${floors.files.toFixed(0)}/s   import+verify+sign on ` +
      `${os.availableParallelism()} cores ${floors.crypto.toFixed(0)}/s`,
  );
  const lowest = Math.min(bound, floors.files, floors.crypto);
  let made = 0;
  const csrDir = path.join(root, 'csrs');
  for (const size of SIZES) {
    process.stdout.write(`preparing ${size} CSR files… `);
    await makeCsrs(csrDir, size, made);
    made = size;
    console.log('done');
    const dataDir = path.join(root, `station-${size}`);
    const init = token
      ? ['--pkcs11', `${token.uri}&pin-source=file:${token.pinFile}`]
      : ['--passphrase-file', passFile];
    await cli(dataDir, ['ca', 'init', ...init]);
    const outDir = path.join(root, `certs-${size}`);
    const args = ['enroll', '--csr', csrDir, '--profile', 'local', '--out-dir', outDir, '--passphrase-file', passFile];
    const run = await cli(dataDir, args);
    const issued = run.lines.filter((l) => (JSON.parse(l) as { status: string }).status === 'issued').length;
    const rate = issued / run.seconds;
    console.log(
      `${String(size).padStart(7)} CSRs  issued ${issued}  ${run.seconds.toFixed(1)} s (cold CLI, all in)  ` +
        `${rate.toFixed(0)} certificates/s  ratio ${(rate / bound).toFixed(2)}  ` +
        `(${(rate / lowest).toFixed(2)} of the lowest floor)  peak RSS ${run.peakRssMb.toFixed(0)} MB  ` +
        `CPU ${run.cpuSeconds.toFixed(1)} s (${(run.cpuSeconds / run.seconds).toFixed(1)} of ` +
        `${os.availableParallelism()} cores busy)`,
    );
    // A main thread that waits for a core is held back by the run's own other threads: bound by CPU.
    const main = run.mainThread;
    if (main) {
      console.log(
        `         main thread: ${main.onCpu.toFixed(1)} s on a core, ${main.waiting.toFixed(1)} s waiting for one`,
      );
    }
    if (issued !== size) process.exitCode = 1;
  }
  fs.rmSync(root, { recursive: true, force: true });
}

void main();
