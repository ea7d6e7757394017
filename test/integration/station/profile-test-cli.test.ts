// `enroller profile test NAME` (#21): each layer on the way to a service, against the project's
// strict EST server and the Debian SCEP server. A right profile passes with the CA chain and its
// fingerprints; a wrong password is named as authentication, an untrusted server as TLS, a closed
// port as TCP, a SCEP CA that is not the pinned one as the CA step — and the steps above the
// failure are skipped, never guessed. Nothing is issued by any test.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { x509 } from '../../../main/pki/crypto';
import { runEnroller } from '../../helpers/cli';
import { csrAttributesDer, OIDS } from '../../helpers/csr-attributes';
import { tempDir } from '../../helpers/station';
import { startEstServer } from '../../support/est-server';
import { freePort, startScepServer } from '../../support/scep-server';

const cleanup: Array<() => Promise<void>> = [];
afterAll(async () => {
  await Promise.all(cleanup.map((c) => c()));
});

function file(name: string, text: string): string {
  const f = path.join(tempDir(), name);
  fs.writeFileSync(f, text);
  return f;
}
const sha256 = (pem: string) =>
  crypto
    .createHash('sha256')
    .update(new Uint8Array(new x509.X509Certificate(pem).rawData))
    .digest('hex');
const byStep = (lines: Array<Record<string, unknown>>) =>
  Object.fromEntries((lines[0]!.steps as Array<{ step: string; status: string }>).map((s) => [s.step, s.status]));

describe('enroller profile test', () => {
  it('EST: passes a right profile; names a wrong password, an untrusted server and a closed port', async () => {
    const csrAttributes = csrAttributesDer({ oids: [OIDS.ecdsaWithSha256] });
    const est = await startEstServer({ user: 'station-1', password: 'right-password', csrAttributes });
    cleanup.push(() => est.close());
    const dir = tempDir();
    const pass = file('pass', 'profile test passphrase');
    await runEnroller(dir, 'ca', 'init', '--passphrase-file', pass);
    const trust = file('trust.pem', est.tlsCaPem);
    const add = (name: string, url: string, password: string, trustFile = trust) =>
      runEnroller(
        dir,
        'profile',
        'add',
        name,
        '--est',
        url,
        '--user',
        'station-1',
        '--password-file',
        file(`${name}.pw`, password),
        '--trust',
        trustFile,
        '--passphrase-file',
        pass,
      );
    const test = (name: string) => runEnroller(dir, 'profile', 'test', name, '--passphrase-file', pass);
    const issuedBefore = est.issuedCount;

    expect((await add('good', est.url, 'right-password')).code).toBe(0);
    const good = await test('good');
    expect(good.code, JSON.stringify(good.lines)).toBe(0);
    expect(good.lines[0]).toMatchObject({ profile: 'good', protocol: 'est', status: 'passed' });
    expect(byStep(good.lines)).toEqual({
      dns: 'ok',
      tcp: 'ok',
      tls: 'ok',
      authentication: 'ok',
      csrattrs: 'ok',
      ca: 'ok',
    });
    const steps = good.lines[0]!.steps as Array<{ step: string; message: string }>;
    expect(steps.find((s) => s.step === 'csrattrs')!.message).toContain('ecdsa-with-SHA256');
    expect(good.lines[0]!.caChain).toEqual([
      { subject: est.issuingCa.certificate.subject, sha256: sha256(est.issuingCa.certificate.toString('pem')) },
    ]);
    expect((good.lines[0]!.serverChain as Array<{ subject: string }>)[0]!.subject).toContain('CN=');

    await add('wrong-password', est.url, 'not-the-password');
    const refused = await test('wrong-password');
    expect(refused.code).toBe(1);
    expect(byStep(refused.lines)).toMatchObject({
      tls: 'ok',
      authentication: 'failed',
      csrattrs: 'skipped',
      ca: 'skipped',
    });
    const auth = (refused.lines[0]!.steps as Array<{ step: string; code?: string; message: string }>).find(
      (s) => s.step === 'authentication',
    )!;
    expect(auth).toMatchObject({ code: 'ENROLL_UNAUTHORIZED' });
    expect(auth.message).toMatch(/refused this profile's credentials \(HTTP 401\)/);

    const stranger = await startEstServer();
    cleanup.push(() => stranger.close());
    await add('untrusted', est.url, 'right-password', file('other.pem', stranger.tlsCaPem));
    const untrusted = await test('untrusted');
    expect(untrusted.code).toBe(1);
    expect(byStep(untrusted.lines)).toMatchObject({ tcp: 'ok', tls: 'failed', authentication: 'skipped' });
    expect(JSON.stringify(untrusted.lines[0]!.steps)).toContain('ENROLL_TLS_UNTRUSTED');

    await add('closed', `https://127.0.0.1:${await freePort()}`, 'right-password');
    const closed = await test('closed');
    expect(byStep(closed.lines)).toMatchObject({ dns: 'ok', tcp: 'failed', tls: 'skipped', ca: 'skipped' });
    expect(closed.code).toBe(1);

    // A test issues nothing.
    expect(est.issuedCount).toBe(issuedBefore);
  });

  it('SCEP: GetCACaps and GetCACert against the pin; a CA that is not the pinned one is named', async () => {
    const scep = await startScepServer({ challenge: 'scep-secret' });
    cleanup.push(() => scep.stop());
    const dir = tempDir();
    const pass = file('pass', 'profile test passphrase');
    await runEnroller(dir, 'ca', 'init', '--passphrase-file', pass);
    const add = (name: string, pin: string) =>
      runEnroller(
        dir,
        'profile',
        'add',
        name,
        '--scep',
        scep.url,
        '--ca-fingerprint',
        pin,
        '--challenge-file',
        file(`${name}.challenge`, 'scep-secret'),
        '--passphrase-file',
        pass,
      );
    await add('pinned', sha256(scep.caPem));
    const good = await runEnroller(dir, 'profile', 'test', 'pinned', '--passphrase-file', pass);
    expect(good.code, JSON.stringify(good.lines)).toBe(0);
    expect(byStep(good.lines)).toEqual({ dns: 'ok', tcp: 'ok', tls: 'skipped', authentication: 'unknown', ca: 'ok' });
    expect(good.lines[0]!.caChain).toEqual([
      { subject: new x509.X509Certificate(scep.caPem).subject, sha256: sha256(scep.caPem) },
    ]);

    await add('wrong-pin', 'ab'.repeat(32));
    const wrong = await runEnroller(dir, 'profile', 'test', 'wrong-pin', '--passphrase-file', pass);
    expect(wrong.code).toBe(1);
    expect(byStep(wrong.lines)).toMatchObject({ ca: 'failed' });
    expect(JSON.stringify(wrong.lines[0]!.steps)).toContain('ENROLL_UNTRUSTED_ISSUER');
    expect(fs.readdirSync(scep.depot).filter((f) => /^\w.*\.pem$/.test(f) && f !== 'ca.pem')).toEqual([]);
  });

  it('the local profile: the station CA, no network', async () => {
    const dir = tempDir();
    const before = await runEnroller(dir, 'profile', 'test', 'local');
    expect(before.code).toBe(1);
    expect(byStep(before.lines)).toEqual({ ca: 'failed' });
    await runEnroller(dir, 'ca', 'init', '--passphrase-file', file('pass', 'profile test passphrase'));
    const after = await runEnroller(dir, 'profile', 'test', 'local');
    expect(after.code).toBe(0);
    expect((after.lines[0]!.caChain as unknown[]).length).toBe(2);
  });
});
