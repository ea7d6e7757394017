// A CLI command on a data folder where a station runs (`enroller serve`) goes through that station's
// socket (#18): the station's open database and unlocked CA, the person's own folder for relative
// paths, exit status, roles and a key proof — and a station that died leaves nothing that blocks.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { KEY_FILE, SOCKET_FILE } from '../../../main/cli/attach/protocol';
import { enrollerBin, runEnroller, stopChild } from '../../helpers/cli';
import { makeCsr } from '../../helpers/csr';
import { tempDir } from '../../helpers/station';

interface Run {
  code: number;
  lines: Array<Record<string, unknown>>;
  stderr: string;
}

/** `enroller --data-dir D --json ARGS` from the folder `cwd`. */
function enrollerIn(cwd: string, dataDir: string, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [enrollerBin, '--data-dir', dataDir, '--json', ...args], { cwd }, (error, out, err) =>
      resolve({
        code: error ? Number((error as { code?: number }).code ?? 1) : 0,
        lines: out
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Record<string, unknown>),
        stderr: err,
      }),
    );
  });
}

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

/** A station with its CA, served headless and already unlocked (`serve --passphrase-file`). */
async function runningStation() {
  const dataDir = tempDir();
  const pass = path.join(tempDir(), 'pass');
  fs.writeFileSync(pass, 'attach passphrase');
  expect((await runEnroller(dataDir, 'ca', 'init', '--passphrase-file', pass)).code).toBe(0);
  const child = spawn(process.execPath, [enrollerBin, '--data-dir', dataDir, 'serve', '--passphrase-file', pass], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  stops.push(() => stopChild(child));
  await new Promise((resolve) => readline.createInterface({ input: child.stdout! }).once('line', resolve));
  return { dataDir, child };
}

describe('attached CLI', () => {
  it('runs through the running station: no passphrase, relative paths from the caller, owner-only socket', async () => {
    const { dataDir } = await runningStation();
    for (const file of [SOCKET_FILE, KEY_FILE]) expect(fs.statSync(path.join(dataDir, file)).mode & 0o777).toBe(0o600);

    expect((await runEnroller(dataDir, 'info')).lines[0]).toMatchObject({ mode: 'browser', dataDir });
    expect((await runEnroller(dataDir, '--no-attach', 'info')).lines[0]).toMatchObject({ mode: 'cli', dataDir });

    // Five commands at once, each from its own folder, each with a relative CSR and out dir.
    const runs = await Promise.all(
      [1, 2, 3, 4, 5].map(async (i) => {
        const cwd = tempDir();
        fs.writeFileSync(path.join(cwd, 'dev.der'), await makeCsr({ name: `CN=attached-${i}` }));
        return {
          cwd,
          run: await enrollerIn(cwd, dataDir, 'enroll', '--csr', 'dev.der', '--profile', 'local', '--out-dir', 'out'),
        };
      }),
    );
    const serials = new Set<unknown>();
    for (const [i, { cwd, run }] of runs.entries()) {
      expect(run.code, run.stderr).toBe(0);
      expect(run.lines).toHaveLength(1);
      expect(run.lines[0]).toMatchObject({ deviceId: `attached-${i + 1}`, status: 'issued' });
      expect(fs.existsSync(path.join(cwd, 'out', `attached-${i + 1}.pem`))).toBe(true);
      serials.add(run.lines[0]!.certSerial);
    }
    expect(serials.size).toBe(5);

    // A failure keeps its code and its exit status across the socket.
    const cwd = tempDir();
    fs.writeFileSync(path.join(cwd, 'junk.der'), 'not a CSR');
    const bad = await enrollerIn(cwd, dataDir, 'enroll', '--csr', 'junk.der', '--profile', 'local', '--out-dir', 'out');
    expect(bad.code).toBe(1);
    expect(bad.lines[0]).toMatchObject({ status: 'failed', code: 'CSR_MALFORMED' });
    // Usage errors and help end the command, not the station.
    expect((await runEnroller(dataDir, 'enroll', '--bogus')).code).toBe(1);
    expect((await runEnroller(dataDir, 'info')).code).toBe(0);
  });

  it('applies roles as a terminal would: the PIN from --pin-file, per command', async () => {
    const { dataDir } = await runningStation();
    const pinFile = path.join(tempDir(), 'pin');
    fs.writeFileSync(pinFile, '2468\n');
    const added = await runEnroller(
      dataDir,
      'operator',
      'add',
      'sam',
      '--role',
      'supervisor',
      '--new-pin-file',
      pinFile,
    );
    expect(added.code, added.stderr).toBe(0);
    const refused = await runEnroller(dataDir, 'queue', 'list');
    expect(refused.code).toBe(1);
    expect(refused.lines[0]).toMatchObject({ code: 'AUTH_REQUIRED' });
    expect((await runEnroller(dataDir, '--pin-file', pinFile, 'queue', 'list')).code).toBe(0);
    // A signed-in command does not leave the next one signed in.
    expect((await runEnroller(dataDir, 'queue', 'list')).lines[0]).toMatchObject({ code: 'AUTH_REQUIRED' });
  });

  it('a second station on the folder leaves the socket to the first', async () => {
    const { dataDir } = await runningStation();
    // The second is not unlocked: had it taken the socket, an enroll without a passphrase would fail.
    const second = spawn(process.execPath, [enrollerBin, '--data-dir', dataDir, 'serve'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    stops.push(() => stopChild(second));
    await new Promise((resolve) => readline.createInterface({ input: second.stdout! }).once('line', resolve));
    const cwd = tempDir();
    fs.writeFileSync(path.join(cwd, 'dev.der'), await makeCsr({ name: 'CN=first-station' }));
    const run = await enrollerIn(cwd, dataDir, 'enroll', '--csr', 'dev.der', '--profile', 'local', '--out-dir', 'out');
    expect(run.code, run.stderr).toBe(0);
    expect(run.lines[0]).toMatchObject({ status: 'issued' });
  });

  it('refuses a client without the key, and falls back to running here when the station died', async () => {
    const { dataDir, child } = await runningStation();
    const socket = net.connect(path.join(dataDir, SOCKET_FILE));
    let reply = '';
    socket.on('data', (d: Buffer) => (reply += d.toString()));
    socket.write(
      `${JSON.stringify({ type: 'run', key: '0'.repeat(64), args: ['info'], cwd: '/', interactive: false })}\n`,
    );
    await new Promise((resolve) => socket.once('close', resolve));
    expect(reply).toContain('ATTACH_REFUSED');
    expect(reply).toContain('"exit","code":1');
    expect(reply).not.toContain('schemaVersion');

    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    expect(fs.existsSync(path.join(dataDir, SOCKET_FILE))).toBe(true);
    const info = await runEnroller(dataDir, 'info');
    expect(info.code, info.stderr).toBe(0);
    expect(info.lines[0]).toMatchObject({ mode: 'cli' });
  });
});
