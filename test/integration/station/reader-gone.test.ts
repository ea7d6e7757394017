// Line automation that stops reading (`enroller enroll … --json | head -1`): the CLI stops quietly —
// no stack trace, exit 141 as after a SIGPIPE — and nothing it committed is lost or issued twice:
// a rerun finishes the folder with one certificate per request.
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
});

const COUNT = 400;

/** `enroll --csr` of COUNT requests on a new station CA, its output on a pipe this test reads as it likes. */
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
