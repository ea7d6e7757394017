// EST CSR attributes honoured (#21): what the server asks of a CSR (/csrattrs) is checked on CSRs
// the station collects — CSR files, nRF91 modems — and refused in words before anything is sent;
// and applied where the station builds the CSR itself (a TPM: the serialNumber asked for is put in
// its subject; a key type the TPM device type cannot make is refused before any key is made).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { PtySimulator } from '../../../main/devices/nrf91-sim/pty-host';
import { x509 } from '../../../main/pki/crypto';
import { runEnroller } from '../../helpers/cli';
import { makeCsr, P256, P384 } from '../../helpers/csr';
import { csrAttributesDer, OIDS } from '../../helpers/csr-attributes';
import { ptyModems } from '../../helpers/pty';
import { addEstProfile, nrf91Type } from '../../helpers/setups';
import { tempDir } from '../../helpers/station';
import { startEstServer, type EstServerOptions } from '../../support/est-server';
import { startSwtpm } from '../../support/swtpm';

const cleanup: Array<() => Promise<void>> = [];
afterAll(async () => {
  await Promise.all(cleanup.map((c) => c()));
});

function file(dir: string, name: string, text: string | Uint8Array): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
  return f;
}

/** A station with an EST profile `factory-est` on a server that asks `asked` of every CSR. */
async function stationOn(asked: NonNullable<EstServerOptions['csrAttributes']>) {
  const est = await startEstServer({ user: 'station-3', password: 'est-secret', csrAttributes: asked });
  cleanup.push(() => est.close());
  const dir = tempDir();
  const pass = file(dir, 'pass', 'csr attributes passphrase');
  await runEnroller(dir, 'ca', 'init', '--passphrase-file', pass);
  const added = await addEstProfile(dir, 'factory-est', est, {
    user: 'station-3',
    password: 'est-secret',
    passFile: pass,
  });
  expect(added.code).toBe(0);
  const enrollRequests = () => est.requests.filter((r) => r.path.endsWith('/simpleenroll')).length;
  return { est, dir, pass, enrollRequests };
}

const askP384 = csrAttributesDer({
  oids: [OIDS.ecdsaWithSha384],
  attributes: [{ type: OIDS.ecPublicKey, values: [OIDS.p384] }],
});

describe('EST CSR attributes', () => {
  it('CSR files: one that meets them is issued, one that does not is refused in words and never sent', async () => {
    const { dir, pass, enrollRequests } = await stationOn(askP384);
    const csrs = path.join(dir, 'csrs');
    fs.mkdirSync(csrs);
    file(csrs, 'p256.der', await makeCsr({ alg: P256, name: 'CN=gw-p256' }));
    file(csrs, 'p384.der', await makeCsr({ alg: P384, name: 'CN=gw-p384' }));
    const run = await runEnroller(
      dir,
      'enroll',
      '--csr',
      csrs,
      '--profile',
      'factory-est',
      '--out-dir',
      path.join(dir, 'out'),
      '--passphrase-file',
      pass,
    );
    const byId = Object.fromEntries(run.lines.map((l) => [l.deviceId, l]));
    expect(byId['gw-p384']).toMatchObject({ status: 'issued' });
    expect(byId['gw-p256']).toMatchObject({ status: 'failed', code: 'CSR_ATTRIBUTES_UNMET' });
    expect(byId['gw-p256']!.message).toBe(
      'gw-p256 cannot be enrolled with this profile: the server takes ecdsa-with-SHA384 signatures; the CSR is ' +
        'signed ecdsa-with-SHA256; the server takes EC keys on P-384; the CSR has an EC key on P-256. Nothing was ' +
        'sent. Use a device type whose keys the server takes, or a profile for another server.',
    );
    expect(enrollRequests()).toBe(1);
    expect(run.code).toBe(1);
  });

  it('nRF91 modems (P-256 keys), a server that asks for P-384: each refused, nothing sent or written', async () => {
    const { dir, pass, enrollRequests } = await stationOn(askP384);
    const type = nrf91Type('nrf91-est', { profile: 'factory-est' });
    await runEnroller(dir, 'device-type', 'import', file(dir, 'type.json', JSON.stringify(type)));
    const sims = await ptyModems(2, { baudRate: 115200, keygenDelayMs: 50 });
    cleanup.push(async () => void (await Promise.all(sims.map((s) => s.close()))));
    const run = await runEnroller(
      dir,
      'provision',
      ...sims.flatMap((s: PtySimulator) => ['--port', s.hostPath]),
      '--device-type',
      'nrf91-est',
      '--passphrase-file',
      pass,
    );
    expect(run.lines.map((l) => [l.status, l.code])).toEqual([
      ['failed', 'CSR_ATTRIBUTES_UNMET'],
      ['failed', 'CSR_ATTRIBUTES_UNMET'],
    ]);
    expect(enrollRequests()).toBe(0);
    for (const sim of sims) expect(sim.simulator.store.get(16842753, 1)).toBeUndefined();
  });

  it('a TPM: the serialNumber asked for goes into the CSR it builds; an unmakeable key is refused first', async () => {
    const asksSerial = csrAttributesDer({ oids: [OIDS.ecdsaWithSha256, OIDS.serialNumber] });
    const { dir, pass } = await stationOn(asksSerial);
    const swtpm = await startSwtpm();
    cleanup.push(() => swtpm.stop());
    const tpmType = (name: string, profile: string) => ({
      name,
      device: 'tpm',
      idTemplate: 'tpm-{serial}',
      subject: [{ attribute: 'CN', template: '{deviceId}', required: true }],
      keyPolicy: { allowed: ['ec-p256'] },
      certificate: { kind: 'operational', validityDays: 365 },
      tpm: { keyHandle: '0x81000151', certNvIndex: '0x01500151', keyAlgorithm: 'ec-p256' },
      profile,
    });
    await runEnroller(
      dir,
      'device-type',
      'import',
      file(dir, 'tpm.json', JSON.stringify(tpmType('tpm-est', 'factory-est'))),
    );
    const run = await runEnroller(
      dir,
      'provision',
      '--tpm',
      swtpm.tcti,
      '--serial',
      'SN-4242',
      '--device-type',
      'tpm-est',
      '--passphrase-file',
      pass,
      '--out-dir',
      path.join(dir, 'out'),
    );
    expect(run.lines[0], JSON.stringify(run.lines)).toMatchObject({ status: 'verified', deviceId: 'tpm-SN-4242' });
    const pem = fs.readFileSync(path.join(dir, 'out', 'tpm-SN-4242.pem'), 'utf8');
    expect(new x509.X509Certificate(pem.match(/-----BEGIN[\s\S]+?-----END CERTIFICATE-----/)![0]).subject).toBe(
      'CN=tpm-SN-4242, 2.5.4.5=SN-4242',
    );

    // A server that takes only P-384 keys: the TPM device type makes P-256, so no key is made at all.
    const other = await stationOn(askP384);
    const otherTpm = await startSwtpm();
    cleanup.push(() => otherTpm.stop());
    await runEnroller(
      other.dir,
      'device-type',
      'import',
      file(other.dir, 'tpm.json', JSON.stringify(tpmType('tpm-est', 'factory-est'))),
    );
    const refused = await runEnroller(
      other.dir,
      'provision',
      '--tpm',
      otherTpm.tcti,
      '--serial',
      'SN-1',
      '--device-type',
      'tpm-est',
      '--passphrase-file',
      other.pass,
    );
    expect(refused.lines[0]).toMatchObject({ status: 'failed', code: 'CSR_ATTRIBUTES_UNMET' });
    expect(refused.lines[0]!.message).toMatch(/No key was made/);
    expect(other.enrollRequests()).toBe(0);
  });
});
