// A passphrase asked for on a terminal (no --passphrase-file): the CLI prompts on a real
// pseudo-terminal (util-linux `script`), takes the line with echo off, and goes on with it — so
// nothing typed is shown on the screen or left in a scrollback, and the CA it makes opens with it.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { enrollerBin, runEnroller } from '../../helpers/cli';
import { tempDir } from '../../helpers/station';

const PASSPHRASE = 'typed at the terminal 4711';
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** Runs the CLI on a terminal of its own; types `answer` once `question` is on the screen. */
function onTerminal(args: string[], question: string, answer: string): Promise<{ code: number; screen: string }> {
  const command = [process.execPath, enrollerBin, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const child = spawn('script', ['--quiet', '--return', '--command', command, '/dev/null'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let screen = '';
  let answered = false;
  child.stdout.on('data', (chunk: Buffer) => {
    screen += chunk.toString();
    // Typed only once the prompt is up: the terminal is then in raw mode, as a person would meet it.
    if (!answered && screen.includes(question)) {
      answered = true;
      child.stdin.write(`${answer}\r`);
    }
  });
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      child.stdin.end();
      resolve({ code: code ?? 1, screen });
    }),
  );
}

describe('a passphrase typed at a terminal', () => {
  it('is asked for, not echoed, and is the one the CA then opens with', async () => {
    const dataDir = tempDir('enroller-prompt-');
    dirs.push(dataDir);
    const run = await onTerminal(['--data-dir', dataDir, '--no-attach', 'ca', 'init'], 'passphrase:', PASSPHRASE);
    expect(run.screen).toContain('CA ready.');
    expect(run.code).toBe(0);
    expect(run.screen).not.toContain(PASSPHRASE);

    // The CA signs a CRL with what was typed, and not with anything else.
    const crlWith = async (passphrase: string) => {
      const file = path.join(dataDir, 'passphrase');
      fs.writeFileSync(file, passphrase, { mode: 0o600 });
      const out = path.join(dataDir, 'crl.pem');
      return runEnroller(dataDir, 'ca', 'crl', '--pem', '--out', out, '--passphrase-file', file);
    };
    const right = await crlWith(PASSPHRASE);
    expect(right.code, right.stderr).toBe(0);
    expect(fs.readFileSync(path.join(dataDir, 'crl.pem'), 'utf8')).toContain('BEGIN X509 CRL');
    expect((await crlWith(`${PASSPHRASE}!`)).code).not.toBe(0);
  }, 60_000);
});
