// The offline CSR scenario at scale: a folder of 1,000 CSR files (DER and PEM, some in DPCM's
// per-device `CSR.der` folders), 10 broken in different ways. `enroller enroll` is killed with
// SIGKILL twice mid-run and run again: 990 certificates out (named by device ID, each for its
// CSR's key, each verifying), 10 coded errors, no certificate issued twice, nothing lost.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { x509, webcrypto } from '../../../main/pki/crypto';
import { enrollerBin, runEnroller } from '../../helpers/cli';
import { keyPair, makeCsr, P384, RSA2048 } from '../../helpers/csr';
import { tempDir } from '../../helpers/station';

const GOOD = 990;
const pem = (der: Uint8Array) =>
  `-----BEGIN CERTIFICATE REQUEST-----\n${Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n')}\n-----END ` +
  `CERTIFICATE REQUEST-----\n`;

async function writeFolder(folder: string): Promise<{ keys: Map<string, Buffer>; broken: Record<string, string> }> {
  const keys = new Map<string, Buffer>();
  for (let i = 1; i <= GOOD; i++) {
    const id = `field-${String(i).padStart(4, '0')}`;
    const der = await makeCsr({ name: `CN=${id}, O=Field Line` });
    keys.set(id, Buffer.from(new x509.Pkcs10CertificateRequest(der).publicKey.rawData));
    if (i % 10 === 0) {
      fs.mkdirSync(path.join(folder, id));
      fs.writeFileSync(path.join(folder, id, 'CSR.der'), der); // as DPCM writes it
    } else if (i % 2 === 0) fs.writeFileSync(path.join(folder, `${id}.pem`), pem(der));
    else fs.writeFileSync(path.join(folder, `${id}.der`), der);
  }
  const good = await makeCsr({ name: 'CN=broken-signature' });
  const badSignature = Buffer.from(good);
  badSignature[badSignature.length - 3]! ^= 0xff;
  const rsa1024 = { ...RSA2048, modulusLength: 1024 } as unknown as typeof RSA2048;
  const broken: Record<string, Uint8Array | string> = {
    'broken-01-empty.der': new Uint8Array(0),
    'broken-02-garbage.der': new Uint8Array(Buffer.from('this is a photo of the label, not a CSR')),
    'broken-03-truncated.der': good.slice(0, good.length - 20),
    'broken-04-signature.der': badSignature,
    'broken-05-base64.pem':
      '-----BEGIN CERTIFICATE REQUEST-----\nMIIB!!not*base64\n-----END CERTIFICATE REQUEST-----\n',
    'broken-06-rsa1024.der': await makeCsr({
      name: 'CN=weak-key',
      keys: (await webcrypto.subtle.generateKey(rsa1024, true, ['sign', 'verify'])) as never,
      alg: RSA2048,
    }),
    'broken-07-p384.der': await makeCsr({ name: 'CN=wrong-curve', keys: await keyPair(P384), alg: P384 }),
    'broken-08-no-name.der': await makeCsr({ name: 'O=Field Line' }),
    'broken-09-huge.der': new Uint8Array(64 * 1024).fill(0x30),
    'broken-10-ca.der': await makeCsr({
      name: 'CN=wants-to-be-ca',
      extensions: [new x509.BasicConstraintsExtension(true, undefined, true)],
    }),
  };
  for (const [name, content] of Object.entries(broken)) fs.writeFileSync(path.join(folder, name), content);
  return { keys, broken: Object.fromEntries(Object.keys(broken).map((n) => [n, ''])) };
}

function certificatesIn(out: string): string[] {
  return fs.existsSync(out) ? fs.readdirSync(out).filter((f) => f.endsWith('.der')) : [];
}

describe('a folder of 1,000 CSR files', () => {
  it('990 certificates out, 10 coded errors, nothing lost or issued twice across two kill -9', async () => {
    const dir = tempDir();
    const folder = tempDir('enroller-csr-folder-');
    const out = tempDir('enroller-csr-out-');
    const pass = path.join(tempDir(), 'pass');
    fs.writeFileSync(pass, 'station passphrase');
    const type = path.join(tempDir(), 'type.json');
    fs.writeFileSync(
      type,
      JSON.stringify({
        name: 'field-csr',
        device: 'csr-file',
        idTemplate: '{deviceId}',
        subject: [
          { attribute: 'CN', fromCsr: true, required: true },
          { attribute: 'O', fromCsr: true },
        ],
        keyPolicy: { allowed: ['ec-p256', 'rsa-2048'] },
        certificate: { kind: 'operational', validityDays: 825 },
      }),
    );
    expect((await runEnroller(dir, 'ca', 'init', '--passphrase-file', pass)).code).toBe(0);
    expect((await runEnroller(dir, 'device-type', 'import', type)).code).toBe(0);
    const { keys } = await writeFolder(folder);

    const args = [
      enrollerBin,
      '--data-dir',
      dir,
      '--json',
      'enroll',
      '--csr',
      folder,
      '--profile',
      'local',
      '--device-type',
      'field-csr',
      '--out-dir',
      out,
      '--passphrase-file',
      pass,
    ];
    for (const killAt of [250, 600]) {
      const child = spawn(process.execPath, args, { stdio: 'ignore' });
      const exited = new Promise((r) => child.once('exit', r));
      while (certificatesIn(out).length < killAt && child.exitCode === null)
        await new Promise((r) => setTimeout(r, 20));
      child.kill('SIGKILL');
      await exited;
      expect(child.signalCode, 'the run was killed, not finished').toBe('SIGKILL');
    }
    const rerun = await runEnroller(
      dir,
      'enroll',
      '--csr',
      folder,
      '--profile',
      'local',
      '--device-type',
      'field-csr',
      '--out-dir',
      out,
      '--passphrase-file',
      pass,
    );
    expect(rerun.code).toBe(1); // not every file succeeded
    expect(rerun.lines).toHaveLength(GOOD + 10);
    const failed = rerun.lines.filter((l) => l.status === 'failed');
    expect(
      failed.map((l) => path.basename(l.csr as string)).sort(),
      JSON.stringify(failed.filter((l) => !/broken-/.test(String(l.csr)))),
    ).toEqual(
      Array.from({ length: 10 }, (_, i) =>
        expect.stringMatching(new RegExp(`^broken-${String(i + 1).padStart(2, '0')}-`)),
      ),
    );
    const codes = Object.fromEntries(failed.map((l) => [path.basename(l.csr as string).slice(0, 9), l.code]));
    expect(codes).toEqual({
      'broken-01': 'CSR_MALFORMED',
      'broken-02': 'CSR_MALFORMED',
      'broken-03': 'CSR_MALFORMED',
      'broken-04': 'CSR_BAD_SIGNATURE',
      'broken-05': 'CSR_MALFORMED',
      'broken-06': 'CSR_KEY_TOO_SMALL',
      'broken-07': 'CSR_KEY_TYPE_NOT_ALLOWED',
      'broken-08': 'CSR_SUBJECT_INVALID',
      'broken-09': 'CSR_TOO_LARGE',
      'broken-10': 'CSR_REQUESTS_CA',
    });
    for (const line of failed) expect(String(line.message).length).toBeGreaterThan(10);
    expect(rerun.lines.filter((l) => l.status === 'issued')).toHaveLength(GOOD);

    // Out: one certificate per good CSR, named by its device ID, for that CSR's key, verifying.
    const chain = (await runEnroller(dir, 'ca', 'export')).lines[0]!.pem as string;
    const issuing = new x509.X509Certificate(chain.split(/(?=-----BEGIN CERTIFICATE-----)/)[0]!);
    const serials = new Set<string>();
    expect(certificatesIn(out)).toHaveLength(GOOD);
    for (const [id, key] of keys) {
      const certificate = new x509.X509Certificate(new Uint8Array(fs.readFileSync(path.join(out, `${id}.der`))));
      expect(certificate.subject).toBe(`CN=${id}, O=Field Line`);
      expect(Buffer.from(certificate.publicKey.rawData).equals(key), id).toBe(true);
      expect(await certificate.verify({ publicKey: issuing.publicKey, signatureOnly: true })).toBe(true);
      serials.add(certificate.serialNumber);
    }
    expect(serials.size).toBe(GOOD);
    const sample = path.join(out, 'field-0500.pem');
    const root = path.join(tempDir(), 'root.pem');
    fs.writeFileSync(root, chain.split(/(?=-----BEGIN CERTIFICATE-----)/)[1]!);
    expect(
      execFileSync('openssl', ['verify', '-CAfile', root, '-untrusted', sample, sample], { encoding: 'utf8' }),
    ).toContain(': OK');

    // The records: exactly one certificate per CSR despite the kills, no reservation left behind.
    const db = new Database(path.join(dir, 'station.sqlite'), { readonly: true });
    expect(
      db.prepare("SELECT count(*) AS n FROM certificates WHERE status = 'issued' AND kind = 'operational'").get(),
    ).toEqual({ n: GOOD });
    expect(db.prepare("SELECT count(*) AS n FROM certificates WHERE status = 'reserved'").get()).toEqual({ n: 0 });
    expect(db.prepare("SELECT count(DISTINCT device_id) AS n FROM jobs WHERE status = 'done'").get()).toEqual({
      n: GOOD,
    });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
    expect((await runEnroller(dir, 'audit', 'verify')).code).toBe(0);
  });
});
