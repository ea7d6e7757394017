// The embedded authority: what it issues, how it records it, and that OpenSSL (an independent
// validator) agrees with every chain.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { x509 } from '../../../main/pki/crypto';
import { intakeCsr } from '../../../main/pki/csr-intake';
import { certificateOf } from '../../../main/pki/parsed-der';
import { decryptPrivateKey, toSigningKey } from '../../../main/pki/authority/key-vault';
import type { Station } from '../../../main/station/station';
import { keyPair, makeCsr, P256, RSA2048 } from '../../helpers/csr';
import { openssl } from '../../helpers/openssl';
import { PASSPHRASE, pemFile, stationWithCa } from '../../helpers/authority';
import { openTestStation } from '../../helpers/station';

let station: Station | undefined;
afterEach(() => station?.close());

async function verifyWithOpenssl(leafPem: string, chainPem: string, extra: string[] = []) {
  const roots = pemFile(
    'root.pem',
    chainPem
      .split(/(?<=-----END CERTIFICATE-----)/)
      .at(1)!
      .trim() + '\n',
  );
  const untrusted = pemFile('chain.pem', chainPem);
  const leaf = pemFile('leaf.pem', leafPem);
  return openssl([
    'verify',
    '-x509_strict',
    '-purpose',
    'sslclient',
    '-CAfile',
    roots,
    '-untrusted',
    untrusted,
    ...extra,
    leaf,
  ]);
}

describe('local authority', () => {
  it('issues from the device type, not the CSR: CA:FALSE, digitalSignature, clientAuth, mapped subject', async () => {
    const setup = await stationWithCa();
    station = setup.station;
    const csr = await intakeCsr(await makeCsr({ name: 'CN=whatever-the-device-said' }));
    const { certificate, alreadyIssued } = await setup.authority.issue({
      csr,
      deviceType: setup.nrf91,
      deviceId: 'nrf-352656109480783',
      attributes: { imei: '352656109480783' },
    });
    expect(alreadyIssued).toBe(false);
    expect(certificate.subject).toBe('CN=nrf-352656109480783');
    expect(certificate.issuer).toBe(setup.authority.issuing.subject);
    const basic = certificate.getExtension(x509.BasicConstraintsExtension)!;
    expect([basic.ca, basic.critical]).toEqual([false, true]);
    const usage = certificate.getExtension(x509.KeyUsagesExtension)!;
    expect([usage.usages, usage.critical]).toEqual([x509.KeyUsageFlags.digitalSignature, true]);
    expect(certificate.getExtension(x509.ExtendedKeyUsageExtension)!.usages).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(Buffer.from(certificate.publicKey.rawData).equals(Buffer.from(csr.publicKeySpki))).toBe(true);
    // The object made as it was signed is what the ledger's DER reads as, and what reading it finds.
    const recorded = station.db.prepare('SELECT der FROM certificates').pluck().get() as Uint8Array;
    expect(Buffer.from(certificate.rawData).equals(Buffer.from(recorded))).toBe(true);
    expect(certificateOf(new Uint8Array(recorded))).toBe(certificate);
    await expect(verifyWithOpenssl(certificate.toString('pem'), station.ca.chainPem())).resolves.toMatchObject({
      stdout: expect.stringContaining(': OK'),
    });
  });

  it.each(['ec-p256', 'rsa-2048'] as const)(
    'chains verify with openssl for a %s CA and EC/RSA devices',
    async (keyAlgorithm) => {
      const setup = await stationWithCa({ keyAlgorithm });
      station = setup.station;
      for (const alg of [P256, RSA2048]) {
        const csr = await intakeCsr(await makeCsr({ alg }));
        const { certificate } = await setup.authority.issue({
          csr,
          deviceType: { ...setup.nrf91, keyPolicy: { allowed: ['ec-p256', 'rsa-2048'] } },
          deviceId: `dev-${alg.name}`,
          attributes: {},
        });
        const { stdout } = await verifyWithOpenssl(certificate.toString('pem'), station.ca.chainPem());
        expect(stdout).toContain(': OK');
      }
    },
  );

  it('gives a batch the chain when it is read, and says at once when there is no CA to give', async () => {
    const bare = openTestStation();
    try {
      expect(() => bare.ca.chainWhenRead()).toThrow(expect.objectContaining({ code: 'CA_NOT_INITIALIZED' }));
    } finally {
      bare.close();
    }
    ({ station } = await stationWithCa());
    const asked = station.ca.chainWhenRead();
    // Made into PEM when read: the same text as asking for each on its own.
    expect(asked.root).toBe(station.ca.rootPem());
    expect(asked.issuingChain).toBe(station.ca.chainPem());
    expect(asked.issuingChain.endsWith(asked.root)).toBe(true);
  });

  it('never issues twice for the same CSR, and finishes a reservation a crash left behind', async () => {
    const setup = await stationWithCa();
    station = setup.station;
    const csr = await intakeCsr(await makeCsr());
    const request = { csr, deviceType: setup.nrf91, deviceId: 'dev-1', attributes: {} };
    const first = await setup.authority.issue(request);
    const second = await setup.authority.issue(request);
    expect(second).toMatchObject({ alreadyIssued: true, serial: first.serial });
    expect(station.db.prepare('SELECT count(*) FROM certificates').pluck().get()).toBe(1);

    // A crash after reserve and before store: the row stays reserved with no certificate.
    const other = await intakeCsr(await makeCsr());
    const sha = crypto.createHash('sha256').update(other.der).digest('hex');
    station.ca.ledger.reserve({
      serial: 'abcdef0123456789',
      issuerFingerprint: setup.authority.fingerprint,
      deviceId: 'dev-2',
      csrSha256: sha,
      keyFingerprint: other.keyFingerprint,
      kind: 'operational',
    });
    const resumed = await setup.authority.issue({ ...request, csr: other, deviceId: 'dev-2' });
    expect(resumed.serial).toBe('abcdef0123456789');
    expect(resumed.certificate.serialNumber).toBe('abcdef0123456789');
    expect(station.db.prepare("SELECT status FROM certificates WHERE serial = 'abcdef0123456789'").pluck().get()).toBe(
      'issued',
    );
  });

  it('refuses one public key for two devices', async () => {
    const setup = await stationWithCa();
    station = setup.station;
    const keys = await keyPair();
    const csr = await intakeCsr(await makeCsr({ keys }));
    await setup.authority.issue({ csr, deviceType: setup.nrf91, deviceId: 'dev-a', attributes: {} });
    const same = await intakeCsr(await makeCsr({ keys, name: 'CN=other' }));
    // The same device asking again with its own key is fine; another device is not.
    await expect(
      setup.authority.issue({ csr: same, deviceType: setup.nrf91, deviceId: 'dev-a', attributes: {} }),
    ).resolves.toMatchObject({ alreadyIssued: false });
    await expect(
      setup.authority.issue({ csr: same, deviceType: setup.nrf91, deviceId: 'dev-b', attributes: {} }),
    ).rejects.toMatchObject({ code: 'CSR_DUPLICATE_KEY' });
  });

  it('retries a serial collision with a fresh draw', async () => {
    const setup = await stationWithCa();
    station = setup.station;
    const draws = [Buffer.alloc(16, 0x11), Buffer.alloc(16, 0x11), Buffer.alloc(16, 0x22)];
    const { LocalAuthority } = await import('../../../main/pki/authority/local-authority');
    const material = {
      root: setup.authority.root,
      issuing: setup.authority.issuing,
      encryptedIssuingKey: station.db
        .prepare("SELECT encrypted_key FROM authorities WHERE role='issuing' AND active=1")
        .pluck()
        .get() as Buffer,
    };
    const rigged = await LocalAuthority.unlock(
      { ...material, encryptedIssuingKey: new Uint8Array(material.encryptedIssuingKey) },
      PASSPHRASE,
      station.ca.ledger,
      () => draws.shift()!,
    );
    const a = await rigged.issue({
      csr: await intakeCsr(await makeCsr()),
      deviceType: setup.nrf91,
      deviceId: 'a',
      attributes: {},
    });
    const b = await rigged.issue({
      csr: await intakeCsr(await makeCsr()),
      deviceType: setup.nrf91,
      deviceId: 'b',
      attributes: {},
    });
    expect(a.serial).toBe('11'.repeat(16));
    expect(b.serial).toBe('22'.repeat(16));
  });

  it('keeps CA keys only as standard encrypted PKCS#8 with PBKDF2 600,000 + AES-256', async () => {
    const setup = await stationWithCa();
    station = setup.station;
    const encrypted = station.db
      .prepare("SELECT encrypted_key FROM authorities WHERE role='issuing' AND active=1")
      .pluck()
      .get() as Buffer;
    const file = derFile(new Uint8Array(encrypted).buffer);
    const { stdout } = await openssl(['asn1parse', '-inform', 'DER', '-in', file]);
    expect(stdout).toContain('PBES2');
    expect(stdout).toContain('PBKDF2');
    expect(stdout).toContain('aes-256-cbc');
    expect(stdout).toMatch(/INTEGER\s+:0927C0/); // 600000
    expect(stdout).toContain('hmacWithSHA256');
    const passFile = pemFile('pass', PASSPHRASE);
    const { stdout: pem } = await openssl([
      'pkey',
      '-inform',
      'DER',
      '-in',
      file,
      '-passin',
      `file:${passFile}`,
      '-pubout',
    ]);
    expect(pem).toContain('BEGIN PUBLIC KEY');
    await expect(decryptPrivateKey(new Uint8Array(encrypted), 'wrong passphrase')).rejects.toMatchObject({
      code: 'CA_WRONG_PASSPHRASE',
    });
    await expect(station.ca.unlock('wrong passphrase')).rejects.toMatchObject({ code: 'CA_WRONG_PASSPHRASE' });
  });

  it('makes a leaf outside the name constraints, and a CA under the issuing CA, fail verification', async () => {
    const setup = await stationWithCa({ nameConstraints: { permittedDns: ['.devices.example.com'] } });
    station = setup.station;
    const inside = { ...setup.nrf91, san: [{ type: 'dns' as const, template: '{deviceId}.devices.example.com' }] };
    const outside = { ...setup.nrf91, san: [{ type: 'dns' as const, template: '{deviceId}.evil.example' }] };
    const good = await setup.authority.issue({
      csr: await intakeCsr(await makeCsr()),
      deviceType: inside,
      deviceId: 'dev-in',
      attributes: {},
    });
    await expect(verifyWithOpenssl(good.certificate.toString('pem'), station.ca.chainPem())).resolves.toMatchObject({
      stdout: expect.stringContaining(': OK'),
    });
    const bad = await setup.authority.issue({
      csr: await intakeCsr(await makeCsr()),
      deviceType: outside,
      deviceId: 'dev-out',
      attributes: {},
    });
    await expect(verifyWithOpenssl(bad.certificate.toString('pem'), station.ca.chainPem())).rejects.toMatchObject({
      stderr: expect.stringMatching(/name constraint|subtree/i),
    });

    // A sub-CA signed with the issuing key (something the authority itself never does).
    const encrypted = station.db
      .prepare("SELECT encrypted_key FROM authorities WHERE role='issuing' AND active=1")
      .pluck()
      .get() as Buffer;
    const issuingKey = await toSigningKey(await decryptPrivateKey(new Uint8Array(encrypted), PASSPHRASE));
    const subKeys = await crypto.webcrypto.subtle.generateKey(P256, true, ['sign', 'verify']);
    const subCa = await x509.X509CertificateGenerator.create({
      serialNumber: '0badca',
      subject: 'CN=Rogue Sub CA',
      issuer: setup.authority.issuing.subject,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 86_400_000),
      publicKey: subKeys.publicKey as never,
      signingKey: issuingKey as never,
      signingAlgorithm: P256,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true),
      ],
    });
    const leafUnderSub = await x509.X509CertificateGenerator.create({
      serialNumber: '0c',
      subject: 'CN=dev-sub',
      issuer: subCa.subject,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 86_400_000),
      publicKey: (await crypto.webcrypto.subtle.generateKey(P256, true, ['sign', 'verify'])).publicKey as never,
      signingKey: subKeys.privateKey as never,
      signingAlgorithm: P256,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.ExtendedKeyUsageExtension(['1.3.6.1.5.5.7.3.2']),
      ],
    });
    const chainWithSub = `${subCa.toString('pem')}\n${station.ca.chainPem()}`;
    const roots = station.ca.rootPem();
    const untrusted = pemFile('u.pem', chainWithSub);
    await expect(
      openssl([
        'verify',
        '-CAfile',
        pemFile('r.pem', roots),
        '-untrusted',
        untrusted,
        pemFile('l.pem', leafUnderSub.toString('pem')),
      ]),
    ).rejects.toMatchObject({
      stderr: expect.stringMatching(/path length/i),
    });
  });

  it('revokes into a CRL whose number strictly increases, and OpenSSL reads it', async () => {
    const setup = await stationWithCa();
    station = setup.station;
    const issued = await setup.authority.issue({
      csr: await intakeCsr(await makeCsr()),
      deviceType: setup.nrf91,
      deviceId: 'dev-r',
      attributes: {},
    });
    const first = await setup.authority.crl();
    await setup.authority.revoke(issued.serial, 1);
    const second = await setup.authority.crl();
    const crlNumber = async (crl: x509.X509Crl) =>
      (await openssl(['crl', '-inform', 'DER', '-in', derFile(crl.rawData), '-noout', '-crlnumber'])).stdout;
    expect(await crlNumber(first)).toMatch(/crlNumber=(0x)?0?1\b/);
    expect(await crlNumber(second)).toMatch(/crlNumber=(0x)?0?2\b/);
    expect(second.entries.map((e) => e.serialNumber)).toEqual([issued.serial]);
    expect(await second.verify({ publicKey: setup.authority.issuing.publicKey })).toBe(true);
  });

  it('puts the device type’s CRL distribution point and OCSP URL in what it issues; OpenSSL reads them', async () => {
    const setup = await stationWithCa();
    station = setup.station;
    const certificate = {
      ...setup.nrf91.certificate,
      crlUrl: 'http://pki.example/ca.crl',
      ocspUrl: 'http://ocsp.example/',
    };
    const { certificate: issued } = await setup.authority.issue({
      csr: await intakeCsr(await makeCsr()),
      deviceType: { ...setup.nrf91, certificate },
      deviceId: 'dev-pointers',
      attributes: {},
    });
    const text = (await openssl(['x509', '-in', pemFile('pointers.pem', issued.toString('pem')), '-noout', '-text']))
      .stdout;
    expect(text).toMatch(/CRL Distribution Points:[\s\S]*URI:http:\/\/pki\.example\/ca\.crl/);
    expect(text).toMatch(/OCSP - URI:http:\/\/ocsp\.example\//);
    // A device type without them issues neither.
    const plain = await setup.authority.issue({
      csr: await intakeCsr(await makeCsr()),
      deviceType: setup.nrf91,
      deviceId: 'dev-plain',
      attributes: {},
    });
    expect(plain.certificate.getExtension('2.5.29.31')).toBeNull();
    expect(plain.certificate.getExtension('1.3.6.1.5.5.7.1.1')).toBeNull();
  });

  it('signs a delegated OCSP responder certificate: OCSPSigning, ocsp-nocheck, on the ledger', async () => {
    const setup = await stationWithCa();
    station = setup.station;
    const keys = await crypto.webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign']);
    const spki = new Uint8Array(await crypto.webcrypto.subtle.exportKey('spki', keys.publicKey));
    const signer = await setup.authority.issueOcspSigner(spki, 7);
    expect(signer.getExtension(x509.ExtendedKeyUsageExtension)!.usages).toEqual(['1.3.6.1.5.5.7.3.9']);
    expect(signer.getExtension('1.3.6.1.5.5.7.48.1.5')).not.toBeNull();
    expect(signer.subject).toBe('CN=Floor Enroller OCSP Responder, O=Floor Enroller');
    expect(await signer.verify({ publicKey: setup.authority.issuing.publicKey, signatureOnly: true })).toBe(true);
    const row = station.db
      .prepare<[string], { kind: string; status: string }>('SELECT kind, status FROM certificates WHERE serial = ?')
      .get(signer.serialNumber);
    expect(row).toEqual({ kind: 'ocsp-signing', status: 'issued' });
  });

  it('makes a verification certificate: CN = code, signed by the CA being registered', async () => {
    const setup = await stationWithCa();
    station = setup.station;
    const cert = await station.ca.verificationCertificate('0123ABCD', PASSPHRASE);
    expect(cert.subject).toBe('CN=0123ABCD');
    expect(await cert.verify({ publicKey: setup.authority.root.publicKey, signatureOnly: true })).toBe(true);
  });
});

function derFile(der: ArrayBuffer): string {
  const file = pemFile('object.der', '');
  fs.writeFileSync(file, Buffer.from(der));
  return file;
}
