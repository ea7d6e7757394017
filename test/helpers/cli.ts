// Runs the real CLI (`main/bin/enroller.cjs`) as a child process, as line automation would.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';

export const repoRoot = path.resolve(import.meta.dirname, '../..');
export const enrollerBin = path.join(repoRoot, 'main/bin/enroller.cjs');

export interface Served {
  readonly url: string;
  readonly origin: string;
  readonly token: string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `enroller serve` and resolves with the URL from its first stdout line. */
export function serve(dataDir: string, extraArgs: string[] = []): Promise<Served> {
  const child = spawn(process.execPath, [enrollerBin, '--data-dir', dataDir, 'serve', ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve printed no URL within 20 s: ${stderr}`)), 20_000);
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
    readline.createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      const url = new URL(line);
      resolve({
        url: line,
        origin: url.origin,
        token: new URLSearchParams(url.hash.slice(1)).get('token') ?? '',
        child,
        stop: () => stopChild(child),
      });
    });
  });
}

/** Starts `enroller sim --count N --json` and resolves with the N records it prints. */
export function simulate(
  dataDir: string,
  count: number,
  extraArgs: string[] = [],
): Promise<{ ports: Array<{ port: string; imei: string }>; stop(): Promise<void> }> {
  const child = spawn(
    process.execPath,
    [enrollerBin, '--data-dir', dataDir, '--json', 'sim', '--count', String(count), ...extraArgs],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const ports: Array<{ port: string; imei: string }> = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`sim printed ${ports.length}/${count} ports in 20 s: ${stderr}`)),
      20_000,
    );
    child.once('exit', (code) => reject(new Error(`sim exited with ${code}: ${stderr}`)));
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      ports.push(JSON.parse(line) as { port: string; imei: string });
      if (ports.length === count) {
        clearTimeout(timer);
        resolve({
          ports,
          stop: () => stopChild(child),
        });
      }
    });
  });
}

/** SIGTERM, and resolve once the process has really gone. */
export function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null) return done();
    child.once('exit', () => done());
    child.kill('SIGTERM');
  });
}

/** Runs `enroller --data-dir DIR --json …` to completion: exit code and the JSON lines it printed. */
export async function runEnroller(
  dataDir: string,
  ...args: string[]
): Promise<{ code: number; lines: Array<Record<string, unknown>>; stderr: string }> {
  const { execFile } = await import('node:child_process');
  return new Promise((resolve) => {
    execFile(process.execPath, [enrollerBin, '--data-dir', dataDir, '--json', ...args], (error, stdout, stderr) => {
      const lines = stdout
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, lines, stderr });
    });
  });
}

/** `enroller enroll --csr FOLDER --profile local --out-dir OUT --passphrase-file PASS`: the station CA's bulk path. */
export function enrollOnStationCa(dataDir: string, folder: string, outDir: string, passphraseFile: string) {
  return runEnroller(
    dataDir,
    'enroll',
    '--csr',
    folder,
    '--profile',
    'local',
    '--out-dir',
    outDir,
    '--passphrase-file',
    passphraseFile,
  );
}
