// Known-answer tests: fixed clock, fixed keys (test/fixtures/keys), fixed serial source. RSA
// PKCS#1 v1.5 signatures are deterministic, so every certificate kind must come out byte for byte
// the same as recorded. A change here is a change in what the station issues: review it.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtinDeviceTypes, DeviceTypeDocument } from '../../../shared/device-type';
import { x509, webcrypto, type CryptoKeyPair } from '../../../main/pki/crypto';
import { createCa, pkcs8Of } from '../../../main/pki/authority/ca-init';
import { encryptPrivateKey } from '../../../main/pki/authority/key-vault';
import { LocalAuthority } from '../../../main/pki/authority/local-authority';
import type { IssuanceLedger, IssuanceRecord, Reservation } from '../../../main/pki/authority/ledger';
import { intakeCsr } from '../../../main/pki/csr-intake';

const fixtures = path.resolve(import.meta.dirname, '../../fixtures/keys');
const NOW = new Date('2026-03-01T08:00:00Z');
const RSA = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;

async function rsaPair(file: string): Promise<CryptoKeyPair> {
  const key = crypto.createPrivateKey(fs.readFileSync(path.join(fixtures, file)));
  return {
    privateKey: await webcrypto.subtle.importKey('pkcs8', key.export({ format: 'der', type: 'pkcs8' }), RSA, true, [
      'sign',
    ]),
    publicKey: await webcrypto.subtle.importKey(
      'spki',
      crypto.createPublicKey(key).export({ format: 'der', type: 'spki' }),
      RSA,
      true,
      ['verify'],
    ),
  } as CryptoKeyPair;
}

/** Serials from a counter: 01…, 02…, so the answers are fixed. */
function counterSource() {
  let n = 0;
  return (bytes: number) => Uint8Array.from({ length: bytes }, (_, i) => (i === 0 ? 0x10 + ++n : i));
}

class MemoryLedger implements IssuanceLedger {
  records = new Map<string, IssuanceRecord>();
  findByCsr(issuer: string, csr: string) {
    return [...this.records.values()].find((r) => r.issuerFingerprint === issuer && r.csrSha256 === csr);
  }
  reserve(r: Reservation) {
    if (this.records.has(r.serial)) return false;
    this.records.set(r.serial, { ...r, status: 'reserved', der: undefined });
    return true;
  }
  complete(serial: string, der: Uint8Array) {
    this.records.set(serial, { ...this.records.get(serial)!, status: 'issued', der });
  }
  revoke() {}
  revokedBy() {
    return [];
  }
  crl = 0;
  nextCrlNumber() {
    return ++this.crl;
  }
}

const sha = (data: ArrayBuffer | Uint8Array) => crypto.createHash('sha256').update(new Uint8Array(data)).digest('hex');

describe('known answers (fixed clock, fixed keys)', () => {
  it('issues byte-identical root, issuing, operational, birth certificates and CRL', async () => {
    const random = counterSource();
    const { root, issuing } = await createCa({
      keyAlgorithm: 'rsa-2048',
      subject: 'CN=KAT Root CA,O=Floor Enroller Tests',
      now: NOW,
      keys: { root: await rsaPair('kat-root-rsa.pem'), issuing: await rsaPair('kat-issuing-rsa.pem') },
      random,
    });
    const ledger = new MemoryLedger();
    const authority = await LocalAuthority.unlock(
      {
        root: root.certificate,
        issuing: issuing.certificate,
        encryptedIssuingKey: await encryptPrivateKey(await pkcs8Of(issuing), 'kat passphrase'),
      },
      'kat passphrase',
      ledger,
      random,
    );
    const deviceKey = crypto.createPrivateKey(fs.readFileSync(path.join(fixtures, 'kat-device-p256.pem')));
    const pair = {
      privateKey: await webcrypto.subtle.importKey(
        'pkcs8',
        deviceKey.export({ format: 'der', type: 'pkcs8' }),
        { name: 'ECDSA', namedCurve: 'P-256' },
        true,
        ['sign'],
      ),
      publicKey: await webcrypto.subtle.importKey(
        'spki',
        crypto.createPublicKey(deviceKey).export({ format: 'der', type: 'spki' }),
        { name: 'ECDSA', namedCurve: 'P-256' },
        true,
        ['verify'],
      ),
    };
    const request = await x509.Pkcs10CertificateRequestGenerator.create({
      name: 'CN=kat-device',
      keys: pair as never,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    });
    const csr = await intakeCsr(new Uint8Array(request.rawData));
    const nrf91 = DeviceTypeDocument.parse(builtinDeviceTypes[0]);
    const operational = await authority.issue({
      csr,
      deviceType: nrf91,
      deviceId: 'nrf-352656109480783',
      attributes: {},
      now: NOW,
    });
    const birthCsr = await intakeCsr(
      new Uint8Array(
        (
          await x509.Pkcs10CertificateRequestGenerator.create({
            name: 'CN=kat-birth',
            keys: pair as never,
            signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
          })
        ).rawData,
      ),
    );
    const birth = await authority.issue({
      csr: birthCsr,
      deviceType: nrf91,
      deviceId: 'nrf-352656109480783',
      attributes: {},
      kind: 'birth',
      now: NOW,
    });
    const crl = await authority.crl(NOW);

    // What the certificates say (readable), then the exact bytes (the known answers).
    expect(root.certificate.subject).toBe('CN=KAT Root CA, O=Floor Enroller Tests');
    expect(issuing.certificate.subject).toBe('CN=KAT Issuing CA, O=Floor Enroller Tests');
    expect(operational.certificate.serialNumber).toBe('130102030405060708090a0b0c0d0e0f');
    expect(operational.certificate.notBefore.toISOString()).toBe('2026-03-01T07:55:00.000Z');
    expect(operational.certificate.notAfter.toISOString()).toBe('2036-02-27T08:00:00.000Z');
    expect(birth.certificate.notAfter.toISOString()).toBe('2026-03-31T08:00:00.000Z');
    expect({
      root: sha(root.certificate.rawData),
      issuing: sha(issuing.certificate.rawData),
      operational: sha(operational.certificate.rawData),
      birth: sha(birth.certificate.rawData),
      crl: sha(crl.rawData),
    }).toMatchInlineSnapshot(`
      {
        "birth": "4d6aa7ccf04c0df5ccbc7aac29a85d015a930917b7eee4022fdf192c1bf49e72",
        "crl": "5fe44f8ae6a3f01437db3f557c84f8513a06af7d26fb0c737a9818246030d875",
        "issuing": "189dec6b00571f883ee4f37892e107ec80970771c4b3a496296df1d501be7988",
        "operational": "62c256c82c557d2b1bcad033ee72e11cfadc3021fe315c62982e3a30ddd5bb1e",
        "root": "00140543f28cc81517004aa945703235a45474403aeac60e8b54478dcbf6f802",
      }
    `);
  });
});
