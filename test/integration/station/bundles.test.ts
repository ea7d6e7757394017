// Enrollment bundles: one-time EST passwords from a bundle file, each spent on exactly one device
// (the EST test server accepts each once); exhaustion, expiry and reuse refused with codes; an
// aborted device gives its credential back.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { PtySimulator } from '../../../main/devices/nrf91-sim/pty-host';
import type { Station } from '../../../main/station/station';
import { runEnroller } from '../../helpers/cli';
import { ptyModems } from '../../helpers/pty';
import { openTestStation, tempDir } from '../../helpers/station';
import { startEstServer, type EstServer } from '../../support/est-server';

const PASS = 'bundle passphrase';
const sims: PtySimulator[] = [];
let est: EstServer | undefined;
let station: Station | undefined;
afterAll(async () => {
  await Promise.all(sims.map((s) => s.close()));
  await est?.close();
});
afterEach(() => station?.close());

const bundle = (profile: string, ids: string[], expiresAt = new Date(Date.now() + 86_400_000).toISOString()) =>
  JSON.stringify({
    format: 'floor-enroller-bundle',
    version: 1,
    profile,
    expiresAt,
    credentials: ids.map((id) => ({ id, secret: `otp-${id}` })),
  });

describe('enrollment bundles', () => {
  it('spends one one-time password per device over EST, records which went where, refuses when none left', async () => {
    est = await startEstServer({ user: 'line-7', oneTimePasswords: ['otp-a', 'otp-b', 'otp-c'] });
    const dir = tempDir();
    const secrets = tempDir();
    const f = (name: string, text: string) => (
      fs.writeFileSync(path.join(secrets, name), text),
      path.join(secrets, name)
    );
    await runEnroller(dir, 'ca', 'init', '--passphrase-file', f('pass', PASS));
    expect(
      (
        await runEnroller(
          dir,
          'profile',
          'add',
          'factory-est',
          '--est',
          est.url,
          '--user',
          'line-7',
          '--trust',
          f('trust.pem', est.tlsCaPem),
        )
      ).code,
    ).toBe(0);
    const imported = await runEnroller(
      dir,
      'bundle',
      'import',
      f('bundle.json', bundle('factory-est', ['a', 'b', 'c'])),
      '--passphrase-file',
      f('pass', PASS),
    );
    expect(imported.lines[0]).toMatchObject({ status: 'imported', credentials: 3, profile: 'factory-est' });
    expect(
      (
        await runEnroller(
          dir,
          'bundle',
          'import',
          path.join(secrets, 'bundle.json'),
          '--passphrase-file',
          f('pass', PASS),
        )
      ).lines[0],
    ).toMatchObject({ code: 'BUNDLE_INVALID' }); // once only
    expect(
      (
        await runEnroller(
          dir,
          'bundle',
          'import',
          f('again.json', bundle('factory-est', ['c', 'd'])),
          '--passphrase-file',
          f('pass', PASS),
        )
      ).lines[0],
    ).toMatchObject({ code: 'BUNDLE_INVALID' }); // 'c' again
    expect(
      (
        await runEnroller(
          dir,
          'bundle',
          'import',
          f('old.json', bundle('factory-est', ['z'], '2026-01-01T00:00:00Z')),
          '--passphrase-file',
          f('pass', PASS),
        )
      ).lines[0],
    ).toMatchObject({ code: 'BUNDLE_EXPIRED' });

    sims.push(...(await ptyModems(4, { baudRate: 115200, keygenDelayMs: 50 })));
    const ports = sims.slice(0, 3).flatMap((s) => ['--port', s.hostPath]);
    const run = await runEnroller(
      dir,
      'provision',
      ...ports,
      '--device-type',
      'nrf91-default',
      '--profile',
      'factory-est',
      '--passphrase-file',
      f('pass', PASS),
    );
    expect(
      run.lines.map((l) => l.status),
      JSON.stringify(run.lines),
    ).toEqual(['verified', 'verified', 'verified']);
    expect([...est.oneTimeUsed].sort()).toEqual(['otp-a', 'otp-b', 'otp-c']);
    const ledger = (await runEnroller(dir, 'bundle', 'list')).lines;
    expect(ledger.map((l) => l.status)).toEqual(['consumed', 'consumed', 'consumed']);
    expect(ledger.map((l) => l.deviceId).sort()).toEqual(run.lines.map((l) => l.deviceId).sort());
    expect(ledger.every((l) => /^[0-9a-f]{64}$/.test(String(l.csrSha256)))).toBe(true);

    const fourth = await runEnroller(
      dir,
      'provision',
      '--port',
      sims[3]!.hostPath,
      '--device-type',
      'nrf91-default',
      '--profile',
      'factory-est',
      '--passphrase-file',
      f('pass', PASS),
    );
    expect(fourth.lines[0]).toMatchObject({ status: 'failed', code: 'BUNDLE_CREDENTIALS_EXHAUSTED' });
  });

  it('reserves per device (the same on a retry), gives it back on abort, refuses reuse and expiry', async () => {
    station = openTestStation();
    const pool = station.credentials;
    pool.import(bundle('p', ['one', 'two']), PASS, 'test');
    const first = pool.reserve('p', 'dev-1', PASS, 'test');
    expect(first.secret).toBe('otp-one');
    expect(pool.reserve('p', 'dev-1', PASS, 'test').id).toBe(first.id); // a retry keeps its credential
    const second = pool.reserve('p', 'dev-2', PASS, 'test');
    expect(second.credentialId).toBe('two');
    expect(() => pool.reserve('p', 'dev-3', PASS, 'test')).toThrow(
      expect.objectContaining({ code: 'BUNDLE_CREDENTIALS_EXHAUSTED' }),
    );
    pool.release(second.id, 'test'); // dev-2 was aborted
    expect(pool.reserve('p', 'dev-3', PASS, 'test').credentialId).toBe('two');
    pool.consume(first.id, 'dev-1', 'a'.repeat(64), 'test');
    expect(() => pool.consume(first.id, 'dev-1', 'a'.repeat(64), 'test')).toThrow(
      expect.objectContaining({ code: 'BUNDLE_CREDENTIAL_USED' }),
    );
    expect(() => pool.consume(first.id, 'dev-9', 'b'.repeat(64), 'test')).toThrow(
      expect.objectContaining({ code: 'BUNDLE_CREDENTIAL_USED' }),
    );
    // Time passes: the bundle expires, and with it every credential still in it.
    pool.import(bundle('q', ['x']), PASS, 'test');
    expect(() => pool.reserve('q', 'dev-4', PASS, 'test', new Date(Date.now() + 2 * 86_400_000))).toThrow(
      expect.objectContaining({ code: 'BUNDLE_EXPIRED' }),
    );
    // The credentials are sealed: the secrets are not in the database in the clear.
    const raw = fs.readFileSync(path.join(station.dataDir, 'station.sqlite'));
    expect(raw.includes('otp-one') || raw.includes('otp-two')).toBe(false);
  });
});
