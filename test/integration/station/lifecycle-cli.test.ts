// After the factory (#19), end to end through the CLI on a simulated modem behind a real PTY, with
// the station CA: a unit provisioned again on purpose supersedes its certificate; set back to
// factory mode it gets a birth certificate; disabled, its certificate is revoked and nothing more is
// issued until it is enabled. OpenSSL is the independent judge: `verify -crl_check` against the
// station's CRL, and `openssl ocsp` against `enroller ocsp serve`. Roles and a kill -9 right after a
// revocation are checked too.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import type { PtySimulator } from '../../../main/devices/nrf91-sim/pty-host';
import { enrollerBin, runEnroller, stopChild } from '../../helpers/cli';
import { openssl } from '../../helpers/openssl';
import { ptyModems } from '../../helpers/pty';
import { tempDir } from '../../helpers/station';

const sims: PtySimulator[] = [];
afterAll(async () => {
  await Promise.all(sims.map((s) => s.close()));
});

interface Certificate {
  serial: string;
  status: string;
  reason: string | null;
  kind: string | null;
}

async function station() {
  const dir = tempDir();
  const pass = path.join(dir, 'pass');
  fs.writeFileSync(pass, 'lifecycle passphrase');
  expect((await runEnroller(dir, 'ca', 'init', '--passphrase-file', pass)).code).toBe(0);
  const [sim] = await ptyModems(1, { baudRate: 115200 });
  sims.push(sim!);
  const id = `nrf-${sim!.simulator.imei}`;
  const provision = async (...extra: string[]) =>
    (
      await runEnroller(
        dir,
        'provision',
        '--port',
        sim!.hostPath,
        '--device-type',
        'nrf91-default',
        '--passphrase-file',
        pass,
        ...extra,
      )
    ).lines[0]!;
  const show = async () => (await runEnroller(dir, 'device', 'show', id)).lines[0]!;
  const certificates = async () => (await show()).certificates as Certificate[];
  /** The certificate in the modem, as a PEM file OpenSSL can read. */
  const leafFile = (name: string) => {
    const stored = sim!.simulator.store.get(16842753, 1)!.content;
    const file = path.join(dir, name);
    fs.writeFileSync(file, stored.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)![0]);
    return file;
  };
  return { dir, pass, id, provision, show, certificates, leafFile };
}

describe('device lifecycle', () => {
  it('supersedes on --force, issues a birth certificate after set-factory, refuses a disabled device', async () => {
    const s = await station();
    expect(await s.provision()).toMatchObject({ status: 'verified', deviceId: s.id });
    expect(await s.show()).toMatchObject({ deviceId: s.id, mode: 'OPERATIONAL' });
    const first = (await s.certificates())[0]!;
    expect(first).toMatchObject({ status: 'issued', kind: 'operational' });
    expect(await s.provision()).toMatchObject({ status: 'verified', code: 'DEVICE_ALREADY_ENROLLED' });

    // A returned unit, provisioned again on purpose: a new key, a new certificate, the old one superseded.
    const again = await s.provision('--force');
    expect(again).toMatchObject({ status: 'verified' });
    expect(again.certSerial).not.toBe(first.serial);
    const afterForce = await s.certificates();
    expect(afterForce.find((c) => c.serial === first.serial)).toMatchObject({
      status: 'revoked',
      reason: 'superseded',
    });
    expect(afterForce.find((c) => c.serial === again.certSerial)).toMatchObject({ status: 'issued' });

    // Back to factory mode: the next provision issues a birth certificate and supersedes the operational one.
    expect((await runEnroller(s.dir, 'device', 'set-factory', s.id)).lines[0]).toMatchObject({
      status: 'factory',
      nextCertificate: 'birth',
    });
    const birth = await s.provision();
    expect(birth).toMatchObject({ status: 'verified' });
    expect(await s.show()).toMatchObject({ mode: 'FACTORY' });
    expect((await s.show()).nextCertificate).toBeUndefined();
    const afterBirth = await s.certificates();
    expect(afterBirth.find((c) => c.serial === birth.certSerial)).toMatchObject({ kind: 'birth', status: 'issued' });
    expect(afterBirth.find((c) => c.serial === again.certSerial)).toMatchObject({ reason: 'superseded' });

    // Disabled: its live certificate revoked, and nothing more issued until it is enabled.
    const disabled = await runEnroller(s.dir, 'device', 'disable', s.id, '--reason', 'returned: cracked housing');
    expect(disabled.lines[0]).toMatchObject({ status: 'disabled', revoked: [birth.certSerial], requested: [] });
    expect((await runEnroller(s.dir, 'device', 'list', '--mode', 'DISABLED')).lines.map((l) => l.deviceId)).toEqual([
      s.id,
    ]);
    expect(await s.provision('--force')).toMatchObject({ status: 'failed', code: 'DEVICE_DISABLED' });
    expect((await s.certificates()).filter((c) => c.status === 'issued')).toEqual([]);
    expect((await runEnroller(s.dir, 'device', 'enable', s.id)).lines[0]).toMatchObject({ mode: 'NEW' });
    // Its certificate was revoked: the next provision (without --force) gives it a new one.
    const back = await s.provision();
    expect(back).toMatchObject({ status: 'verified' });
    expect(back.code).toBeUndefined();
    expect((await s.certificates()).filter((c) => c.status === 'issued').map((c) => c.serial)).toEqual([
      back.certSerial,
    ]);

    const history = ((await s.show()).history as Array<{ action: string }>).map((h) => h.action);
    for (const action of ['device.set-factory', 'device.disabled', 'device.enabled', 'certificate.revoked'])
      expect(history).toContain(action);
    const expiring = await runEnroller(s.dir, 'export', '--format', 'expiring', '--within', '4000');
    expect(expiring.lines).toEqual([expect.objectContaining({ deviceId: s.id, serial: back.certSerial })]);
  });

  it('revokes by serial; the CRL and the OCSP responder say so to OpenSSL, and a kill -9 loses nothing', async () => {
    const s = await station();
    const first = await s.provision();
    const revokedLeaf = s.leafFile('revoked.pem');
    const second = await s.provision('--force');
    const goodLeaf = s.leafFile('good.pem');
    // The supersession already revoked the first one; a second revocation of it is refused with a code.
    expect(
      (await runEnroller(s.dir, 'revoke', '--serial', first.certSerial as string, '--reason', 'keyCompromise'))
        .lines[0],
    ).toMatchObject({ code: 'REVOKE_ALREADY_REVOKED' });
    expect((await runEnroller(s.dir, 'revoke', '--serial', 'abcdef', '--reason', 'superseded')).lines[0]).toMatchObject(
      { code: 'REVOKE_SERIAL_UNKNOWN' },
    );
    const bored = await runEnroller(s.dir, 'revoke', '--serial', second.certSerial as string, '--reason', 'bored');
    expect(bored.code).toBe(1);
    expect(bored.lines[0]).toMatchObject({ code: 'REVOKE_REASON_INVALID', details: { reason: 'bored' } });

    const chain = path.join(s.dir, 'chain.pem');
    await runEnroller(s.dir, 'ca', 'export', '--out', chain);
    const crl = async (name: string) => {
      const file = path.join(s.dir, name);
      const made = await runEnroller(s.dir, 'ca', 'crl', '--pem', '--out', file, '--passphrase-file', s.pass);
      expect(made.code).toBe(0);
      return { file, number: made.lines[0]!.number as number };
    };
    const verify = (leaf: string, crlFile: string) =>
      openssl(['verify', '-crl_check', '-CAfile', chain, '-CRLfile', crlFile, leaf]).then(
        (r) => r.stdout,
        (e: { stdout: string; stderr: string }) => `${e.stdout}${e.stderr}`,
      );
    const one = await crl('one.pem');
    expect(await verify(goodLeaf, one.file)).toContain(': OK');
    expect(await verify(revokedLeaf, one.file)).toContain('certificate revoked');

    // Revoke the live one and kill the command the moment it reports: the next CRL carries it.
    const child = spawn(
      process.execPath,
      [
        enrollerBin,
        '--data-dir',
        s.dir,
        '--json',
        'revoke',
        '--serial',
        second.certSerial as string,
        '--reason',
        'keyCompromise',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const reported = await new Promise<string>((resolve) =>
      readline.createInterface({ input: child.stdout! }).once('line', resolve),
    );
    child.kill('SIGKILL');
    expect(JSON.parse(reported)).toMatchObject({ status: 'revoked', serial: second.certSerial });
    const two = await crl('two.pem');
    expect(two.number).toBeGreaterThan(one.number);
    expect(await verify(goodLeaf, two.file)).toContain('certificate revoked');
    const text = (await openssl(['crl', '-in', two.file, '-noout', '-text'])).stdout;
    expect(text).toContain('Key Compromise');
    expect(text).toContain('Superseded');

    // OCSP: a third certificate is good; the two revoked ones are revoked with their reasons.
    await runEnroller(s.dir, 'device', 'enable', s.id); // not disabled: a no-op that must not fail
    const third = await s.provision();
    expect(third).toMatchObject({ status: 'verified' });
    const liveLeaf = s.leafFile('live.pem');
    const responder = spawn(
      process.execPath,
      [enrollerBin, '--data-dir', s.dir, 'ocsp', 'serve', '--passphrase-file', s.pass],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      const url = await new Promise<string>((resolve) =>
        readline.createInterface({ input: responder.stdout! }).once('line', resolve),
      );
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const issuing = path.join(s.dir, 'issuing.pem');
      fs.writeFileSync(
        issuing,
        fs.readFileSync(chain, 'utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)![0],
      );
      const ask = async (leaf: string) =>
        (await openssl(['ocsp', '-issuer', issuing, '-cert', leaf, '-url', url, '-CAfile', chain, '-resp_text']))
          .stdout;
      const live = await ask(liveLeaf);
      expect(live).toContain(`${liveLeaf}: good`);
      expect(live).toContain('OCSP Nonce');
      expect(await ask(goodLeaf)).toMatch(/revoked[\s\S]*Reason: keyCompromise/);
      expect(await ask(revokedLeaf)).toMatch(/revoked[\s\S]*Reason: superseded/);
    } finally {
      await stopChild(responder);
    }
  });

  it('is for supervisors: an operator may not disable or revoke, an auditor may look', async () => {
    const s = await station();
    await s.provision();
    const pins = tempDir();
    const pin = (name: string, value: string) => (
      fs.writeFileSync(path.join(pins, name), value),
      path.join(pins, name)
    );
    const add = (name: string, role: string, by?: string) =>
      runEnroller(
        s.dir,
        ...(by ? ['--pin-file', by] : []),
        'operator',
        'add',
        name,
        '--role',
        role,
        '--new-pin-file',
        pin(name, `${name.length}${name.length}${name.length}${name.length}`),
      );
    expect((await add('sam', 'supervisor')).code).toBe(0);
    const sam = path.join(pins, 'sam');
    expect((await add('olga', 'operator', sam)).code).toBe(0);
    expect((await add('audrey', 'auditor', sam)).code).toBe(0);
    const as = (who: string, ...args: string[]) => runEnroller(s.dir, '--pin-file', path.join(pins, who), ...args);
    expect((await as('olga', 'device', 'disable', s.id, '--reason', 'x')).lines[0]).toMatchObject({
      code: 'AUTH_FORBIDDEN',
    });
    expect((await as('audrey', 'device', 'disable', s.id, '--reason', 'x')).lines[0]).toMatchObject({
      code: 'AUTH_FORBIDDEN',
    });
    expect((await as('audrey', 'device', 'list')).lines).toEqual([expect.objectContaining({ deviceId: s.id })]);
    const shown = (await as('audrey', 'device', 'show', s.id)).lines[0]!;
    const serial = (shown.certificates as Certificate[])[0]!.serial;
    expect((await as('olga', 'revoke', '--serial', serial, '--reason', 'keyCompromise')).lines[0]).toMatchObject({
      code: 'AUTH_FORBIDDEN',
    });
    const disabled = await as(
      'sam',
      'device',
      'disable',
      s.id,
      '--reason',
      'stolen',
      '--revoke-reason',
      'keyCompromise',
    );
    expect(disabled.lines[0]).toMatchObject({ status: 'disabled', revoked: [serial] });
    const history = (await as('audrey', 'device', 'show', s.id)).lines[0]!.history as Array<{
      action: string;
      actor: string;
    }>;
    expect(history.find((h) => h.action === 'device.disabled')).toMatchObject({ actor: 'sam' });
    expect((await as('audrey', 'device', 'show', 'nrf-000')).lines[0]).toMatchObject({ code: 'DEVICE_NOT_FOUND' });
  });
});
