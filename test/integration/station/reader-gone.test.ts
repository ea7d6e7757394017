// Line automation that stops reading (`enroller enroll … --json | head -1`): the CLI stops quietly —
// no stack trace, exit 141 as after a SIGPIPE — and nothing it committed is lost or issued twice:
// a rerun finishes the folder with one certificate per request. One that reads slowly gets every
// line: the CLI ends its process as soon as nothing is left to run (main/bin/enroller.cjs), and a
// line still waiting for the pipe is something left to run.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { enrollerBin, enrollOnStationCa, runEnroller } from '../../helpers/cli';
import { makeCsr } from '../../helpers/csr';
import { tempDir } from '../../helpers/station';

describe('a reader that goes away', () => {
  it('stops the CLI quietly; a rerun finishes the run with each request issued once', async () => {
    const { dir, csrs, out, pass, child, stderr: logged } = await enrollFolder();
    // The first line read, then the reader leaves.
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(logged()).not.toMatch(/EPIPE|Unhandled|\n\s+at /);
    expect(code === 141 || code === 0, `exit ${code}`).toBe(true);

    const rerun = await enrollOnStationCa(dir, csrs, out, pass);
    expect(rerun.lines.filter((l) => l.status === 'issued')).toHaveLength(COUNT);
    const serials = new Set(rerun.lines.map((l) => l.certSerial));
    expect(serials.size).toBe(COUNT);
  });

  it('gives a reader that falls behind every line before the CLI ends', async () => {
    const { child, stderr } = await enrollFolder();
    // Nothing read for a second: the lines (well over a pipe's 64 KiB) wait in the CLI meanwhile.
    child.stdout.pause();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stdout.resume();
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(code, stderr()).toBe(0);
    expect(stdout.length).toBeGreaterThan(64 * 1024);
    const lines = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { status?: string; certSerial?: string });
    expect(lines.filter((l) => l.status === 'issued')).toHaveLength(COUNT);
  });
});

const COUNT = 400;

/** `enroll --csr` of COUNT requests on a new station CA, its output on a pipe this test reads (or not). */
async function enrollFolder() {
  const dir = tempDir();
  const csrs = tempDir();
  const out = path.join(tempDir(), 'out');
  const pass = path.join(tempDir(), 'pass');
  fs.writeFileSync(pass, 'reader passphrase');
  expect((await runEnroller(dir, 'ca', 'init', '--passphrase-file', pass)).code).toBe(0);
  for (let i = 0; i < COUNT; i += 50) {
    await Promise.all(
      Array.from({ length: 50 }, async (_, k) =>
        fs.writeFileSync(path.join(csrs, `r${i + k}.der`), await makeCsr({ name: `CN=reader-${i + k}` })),
      ),
    );
  }
  const args = ['--data-dir', dir, '--json', 'enroll', '--csr', csrs, '--profile', 'local', '--out-dir', out];
  const child = spawn(process.execPath, [enrollerBin, ...args, '--passphrase-file', pass], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return { dir, csrs, out, pass, child, stderr: () => stderr };
}
