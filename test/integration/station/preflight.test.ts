// Preflight (#21): the rules a cloud applies, checked before anything is written.
//  1. `enroller preflight` on files: a good chain passes per cloud; a chain in the wrong order, a CN
//     that is not the registration ID, a CA the cloud has not verified and an unreadable file are
//     each named (exit 1), warnings alone pass.
//  2. In a batch: an nRF91 device type for Azure DPS whose registration ID is not the certificate's
//     CN stops each device before writing — PREFLIGHT_FAILED naming the rule, the modem's
//     certificate slot empty — while the same modems pass once the type names the right ID.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { PtySimulator } from '../../../main/devices/nrf91-sim/pty-host';
import { x509 } from '../../../main/pki/crypto';
import { runEnroller } from '../../helpers/cli';
import { makeCsr } from '../../helpers/csr';
import { ptyModems } from '../../helpers/pty';
import { nrf91Type } from '../../helpers/setups';
import { tempDir } from '../../helpers/station';

const TAG = 16842753;
const cleanup: Array<() => Promise<void>> = [];
afterAll(async () => {
  await Promise.all(cleanup.map((c) => c()));
});

/** A station CA, one certificate issued from a CSR file, and the files preflight reads. */
async function issuedFiles() {
  const dir = tempDir();
  const pass = path.join(dir, 'pass');
  fs.writeFileSync(pass, 'preflight passphrase');
  expect((await runEnroller(dir, 'ca', 'init', '--passphrase-file', pass)).code).toBe(0);
  const csrs = path.join(dir, 'csrs');
  fs.mkdirSync(csrs);
  fs.writeFileSync(path.join(csrs, 'gw-7.der'), await makeCsr({ name: 'CN=gw-7' }));
  const out = path.join(dir, 'out');
  await runEnroller(dir, 'enroll', '--csr', csrs, '--profile', 'local', '--out-dir', out, '--passphrase-file', pass);
  const chain = path.join(dir, 'chain.pem');
  await runEnroller(dir, 'ca', 'export', '--out', chain);
  const [leafPem] = fs
    .readFileSync(path.join(out, 'gw-7.pem'), 'utf8')
    .match(/-----BEGIN[\s\S]+?-----END CERTIFICATE-----/)!;
  const leaf = path.join(dir, 'leaf.pem');
  fs.writeFileSync(leaf, `${leafPem}\n`);
  const [issuingPem] = fs.readFileSync(chain, 'utf8').match(/-----BEGIN[\s\S]+?-----END CERTIFICATE-----/)!;
  const issuingFingerprint = crypto
    .createHash('sha256')
    .update(new Uint8Array(new x509.X509Certificate(issuingPem).rawData))
    .digest('hex');
  return { dir, leaf, chain, issuingFingerprint };
}

describe('enroller preflight', () => {
  it('passes a sound chain per cloud, names each broken rule, and exits 1 only for errors', async () => {
    const { dir, leaf, chain, issuingFingerprint } = await issuedFiles();
    const check = (...args: string[]) => runEnroller(dir, 'preflight', ...args);

    for (const cloud of ['nrf-cloud', 'aws-iot']) {
      const good = await check('--cert', leaf, '--chain', chain, '--cloud', cloud, '--registration-id', 'gw-7');
      expect(good.code, JSON.stringify(good.lines)).toBe(0);
      expect(good.lines[0]).toMatchObject({ status: 'passed', cloud, findings: [] });
    }
    // Azure DPS without knowing which CA it verified: passes with a warning that says so.
    const unknown = await check('--cert', leaf, '--chain', chain, '--cloud', 'azure-dps', '--registration-id', 'gw-7');
    expect(unknown.code).toBe(0);
    expect(unknown.lines[0]!.findings).toEqual([
      expect.objectContaining({ rule: 'CA_NOT_VERIFIED', severity: 'warning' }),
    ]);
    const verified = ['--cloud', 'azure-dps', '--registration-id', 'gw-7', '--verified-ca'];
    expect((await check('--cert', leaf, '--chain', chain, ...verified, issuingFingerprint)).lines[0]).toMatchObject({
      status: 'passed',
      findings: [],
    });
    const another = await check('--cert', leaf, '--chain', chain, ...verified, 'ab'.repeat(32));
    expect(another.code).toBe(1);
    expect(another.lines[0]!.findings).toEqual([
      expect.objectContaining({ rule: 'CA_NOT_VERIFIED', severity: 'error' }),
    ]);

    // Seed 004's refusal: the chain written in the wrong shape (issuing CA before the device's own).
    const wrongOrder = await check(
      '--cert',
      chain,
      '--chain',
      leaf,
      '--cloud',
      'azure-dps',
      '--registration-id',
      'gw-7',
    );
    expect(wrongOrder.code).toBe(1);
    expect(wrongOrder.lines[0]).toMatchObject({ status: 'failed' });
    expect(wrongOrder.lines[0]!.findings).toContainEqual(
      expect.objectContaining({
        rule: 'CHAIN_ORDER',
        severity: 'error',
        message: expect.stringContaining('"CN=gw-7" →'),
      }),
    );
    const otherId = await check('--cert', leaf, '--chain', chain, '--cloud', 'nrf-cloud', '--registration-id', 'gw-8');
    expect(otherId.lines[0]!.findings).toEqual([
      expect.objectContaining({ rule: 'CN_MISMATCH', message: expect.stringContaining('"gw-8"') }),
    ]);

    const garbage = path.join(dir, 'garbage.pem');
    fs.writeFileSync(garbage, 'not a certificate');
    const unreadable = await check('--cert', garbage, '--cloud', 'nrf-cloud');
    expect(unreadable.code).toBe(1);
    expect(unreadable.lines[0]).toMatchObject({ status: 'failed', code: 'PREFLIGHT_INPUT_INVALID' });
  });
});

describe('preflight in a batch', () => {
  it('stops each device whose certificate Azure DPS would refuse, before anything is written', async () => {
    const dir = tempDir();
    const pass = path.join(dir, 'pass');
    fs.writeFileSync(pass, 'preflight passphrase');
    await runEnroller(dir, 'ca', 'init', '--passphrase-file', pass);
    const type = (name: string, registrationId: string) =>
      nrf91Type(name, { cloud: { target: 'azure-dps', registrationId } });
    for (const [name, id] of [
      ['dps-wrong-id', 'dps-{imei}'],
      ['dps-right-id', 'nrf-{imei}'],
    ] as const) {
      const file = path.join(dir, `${name}.json`);
      fs.writeFileSync(file, JSON.stringify(type(name, id)));
      expect((await runEnroller(dir, 'device-type', 'import', file)).code).toBe(0);
    }
    const sims = await ptyModems(2, { baudRate: 115200, keygenDelayMs: 50 });
    cleanup.push(async () => void (await Promise.all(sims.map((s) => s.close()))));
    const provision = (type: string) =>
      runEnroller(
        dir,
        'provision',
        ...sims.flatMap((s: PtySimulator) => ['--port', s.hostPath]),
        '--device-type',
        type,
        '--passphrase-file',
        pass,
      );

    const refused = await provision('dps-wrong-id');
    expect(refused.code).toBe(1);
    for (const line of refused.lines) {
      expect(line).toMatchObject({ status: 'failed', code: 'PREFLIGHT_FAILED' });
      expect(line.message).toMatch(/^Nothing was written: .*CN_MISMATCH: .*registers with Azure DPS as "dps-\d+"/);
    }
    // Nothing written: no client certificate (type 1), no CA certificate (type 0).
    for (const sim of sims) for (const type of [0, 1]) expect(sim.simulator.store.get(TAG, type)).toBeUndefined();

    const accepted = await provision('dps-right-id');
    expect(
      accepted.lines.map((l) => l.status),
      JSON.stringify(accepted.lines),
    ).toEqual(['verified', 'verified']);
    for (const sim of sims) for (const type of [0, 1]) expect(sim.simulator.store.get(TAG, type)).toBeDefined();
  });
});
