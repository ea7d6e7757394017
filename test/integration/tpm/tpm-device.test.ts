// The TPM layer against a real swtpm through tpm2-tools: keys made and persisted inside it, CSRs
// built here and signed by it (checked by openssl), the EK certificate read and verified against
// the manufacturer's CA, the certificate NV index written and read back byte-identical, and every
// failure coded.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTcti } from '../../../main/devices/tpm/tcti';
import { Tpm, NV_INDEX_MAX_BYTES } from '../../../main/devices/tpm/tpm';
import { TpmTools } from '../../../main/devices/tpm/tpm-tools';
import { x509 } from '../../../main/pki/crypto';
import { buildCsr, selfSignedCertificate } from '../../../main/pki/external-signer';
import { startSwtpm, type Swtpm } from '../../support/swtpm';
import { tempDir } from '../../helpers/station';

let swtpm: Swtpm;
let tpm: Tpm;
beforeAll(async () => {
  swtpm = await startSwtpm({ ekCertificate: true });
  tpm = new Tpm(new TpmTools(swtpm.tcti));
});
afterAll(async () => {
  tpm.close();
  await swtpm.stop();
});

const work = tempDir('enroller-tpm-files-');
const openssl = (...args: string[]) =>
  execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describe('keys and TPM-signed CSRs', () => {
  for (const [algorithm, handle] of [
    ['ec-p256', '0x81000101'],
    ['rsa-2048', '0x81000102'],
  ] as const) {
    it(`${algorithm}: the key is made and persisted in the TPM, and the CSR it signs verifies`, async () => {
      const made = await tpm.ensureKey(handle, algorithm);
      expect(made.created).toBe(true);
      expect(await tpm.persistentHandles()).toContain(handle);
      const again = await tpm.ensureKey(handle, algorithm);
      expect(again.created).toBe(false); // found, not made twice
      expect(Buffer.from(again.spki).equals(Buffer.from(made.spki))).toBe(true);

      const signer = { algorithm, spki: made.spki, sign: (data: Uint8Array) => tpm.sign(handle, algorithm, data) };
      const csr = await buildCsr({
        signer,
        subject: [
          ['CN', 'tpm-0001'],
          ['O', 'Floor Test'],
          ['serialNumber', 'SN-0001'],
        ],
        sans: [{ type: 'dns', value: 'tpm-0001.local' }],
        challengePassword: 'enroll-7781',
      });
      const file = path.join(work, `${algorithm}.csr`);
      fs.writeFileSync(file, csr);
      // Checked by an independent implementation: openssl verifies the TPM's signature.
      const text = openssl('req', '-inform', 'der', '-in', file, '-verify', '-noout', '-text');
      expect(text).toMatch(/Subject: CN ?= ?tpm-0001, O ?= ?Floor Test, serialNumber ?= ?SN-0001/);
      expect(text).toContain('challengePassword');
      expect(text).toContain('enroll-7781');
      expect(text).toContain('DNS:tpm-0001.local');
      // The CSR's key is the TPM's key, byte for byte (tpm2_readpublic through the tools).
      const parsed = new x509.Pkcs10CertificateRequest(csr.slice().buffer);
      expect(Buffer.from(parsed.publicKey.rawData).equals(Buffer.from(made.spki))).toBe(true);
      const certFile = path.join(work, `${algorithm}.crt`);
      fs.writeFileSync(certFile, (await selfSignedCertificate(signer, 'tpm-0001')).toString('pem'));
      expect(openssl('verify', '-CAfile', certFile, certFile)).toContain('OK');
    });
  }

  it('refuses a handle that holds a key of another kind', async () => {
    await expect(tpm.ensureKey('0x81000102', 'ec-p256')).rejects.toMatchObject({ code: 'TPM_KEY_MISMATCH' });
  });

  it('unwraps RSA key transport with the TPM key (what a SCEP reply needs)', async () => {
    const spki = await tpm.readPublic('0x81000102');
    const secret = crypto.randomBytes(32);
    const encrypted = crypto.publicEncrypt(
      {
        key: crypto.createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }),
        padding: crypto.constants.RSA_PKCS1_PADDING,
      },
      secret,
    );
    const block = Buffer.from(await tpm.rsaDecrypt('0x81000102', encrypted));
    expect(block[0]).toBe(0);
    expect(block[1]).toBe(2);
    expect(block.subarray(block.length - 32).equals(secret)).toBe(true);
  });
});

describe('EK certificate and NV', () => {
  it('reads the EK certificate, which the manufacturer CA signed for the TPM’s own EK', async () => {
    const der = await tpm.readEkCertificate();
    expect(der).toBeDefined();
    const ek = new x509.X509Certificate(der!.slice().buffer);
    expect(ek.issuer).toContain('swtpm-localca');
    const file = path.join(work, 'ek.pem');
    fs.writeFileSync(file, ek.toString('pem'));
    const [issuer, root] = swtpm.ekIssuerPem!.split(/(?=-----BEGIN CERTIFICATE-----)/);
    fs.writeFileSync(path.join(work, 'ek-issuer.pem'), issuer!);
    fs.writeFileSync(path.join(work, 'ek-root.pem'), root!);
    // The chain checks out with openssl against the manufacturer's issuer and root.
    expect(
      openssl(
        'verify',
        '-CAfile',
        path.join(work, 'ek-root.pem'),
        '-untrusted',
        path.join(work, 'ek-issuer.pem'),
        file,
      ),
    ).toContain(': OK');
    // The certificate is for this TPM: its key is the EK the TPM derives.
    expect(Buffer.from(ek.publicKey.rawData).equals(Buffer.from(await tpm.ekPublic()))).toBe(true);
  });

  it('writes a certificate into an NV index and reads it back byte-identical, resizing as needed', async () => {
    const first = crypto.randomBytes(700);
    await tpm.writeNv('0x01500101', first);
    expect(Buffer.from(await tpm.readNv('0x01500101')).equals(first)).toBe(true);
    const second = crypto.randomBytes(NV_INDEX_MAX_BYTES - 100); // bigger than one 1,024-byte write buffer
    await tpm.writeNv('0x01500101', second);
    expect(await tpm.nvSize('0x01500101')).toBe(second.length);
    expect(Buffer.from(await tpm.readNv('0x01500101')).equals(second)).toBe(true);
    // Read by tpm2-tools directly, not through our reader.
    const out = path.join(work, 'nv.bin');
    execFileSync('tpm2_nvread', [
      `--tcti=${swtpm.tcti}`,
      '0x01500101',
      '-C',
      'o',
      '-s',
      String(second.length),
      '-o',
      out,
    ]);
    expect(fs.readFileSync(out).equals(second)).toBe(true);
    await expect(tpm.writeNv('0x01500102', crypto.randomBytes(NV_INDEX_MAX_BYTES + 1))).rejects.toMatchObject({
      code: 'TPM_NV_TOO_LARGE',
    });
  });
});

describe('failures', () => {
  it('codes a TCTI the station does not understand, a TPM that is not there, and a power cycle mid-use', async () => {
    expect(() => parseTcti('mssim:host=localhost')).toThrow(expect.objectContaining({ code: 'TPM_TCTI_INVALID' }));
    expect(() => parseTcti('device:/dev/tpmrm0; rm -rf /')).toThrow(
      expect.objectContaining({ code: 'TPM_TCTI_INVALID' }),
    );
    expect(parseTcti('swtpm:host=127.0.0.1,port=2321')).toBe('swtpm:host=127.0.0.1,port=2321');
    const absent = new Tpm(new TpmTools(`swtpm:path=${path.join(work, 'absent.sock')}`));
    await expect(absent.persistentHandles()).rejects.toMatchObject({ code: 'TPM_UNREACHABLE' });
    absent.close();
    await expect(tpm.readNv('0x01500199')).rejects.toMatchObject({ code: 'TPM_COMMAND_FAILED' });
    // Persistent keys and NV survive a power cycle.
    await swtpm.restart();
    expect(await tpm.persistentHandles()).toEqual(expect.arrayContaining(['0x81000101', '0x81000102']));
    expect(await tpm.nvSize('0x01500101')).toBe(NV_INDEX_MAX_BYTES - 100);
  });
});
