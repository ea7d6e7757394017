// The key read from the framing is byte for byte the one the X.509 library finds, for CSRs and
// certificates of both key kinds (and a v1 certificate without the explicit version); and a key
// made from its bytes once.
import { describe, expect, it } from 'vitest';
import { x509 } from '../../../main/pki/crypto';
import { certificatePublicKey, csrPublicKey, sameKey } from '../../../main/pki/public-key-of';
import { publicKeyFromSpki } from '../../../main/pki/spki-key';
import { makeCsr } from '../../helpers/csr';

const ec = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const rsa = {
  name: 'RSASSA-PKCS1-v1_5',
  modulusLength: 2048,
  publicExponent: new Uint8Array([1, 0, 1]),
  hash: 'SHA-256',
};

async function selfSigned(algorithm: typeof ec | typeof rsa) {
  const keys = (await crypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: 'CN=key-of',
    keys,
    signingAlgorithm: algorithm,
    serialNumber: '01',
  });
  return cert;
}

describe('public key of a CSR or certificate', () => {
  it('is the library’s own SubjectPublicKeyInfo, for a CSR', async () => {
    const der = await makeCsr({ name: 'CN=key-of' });
    const library = new x509.Pkcs10CertificateRequest(der.slice()).publicKey.rawData;
    expect(Buffer.from(csrPublicKey(der)).equals(Buffer.from(library))).toBe(true);
  });

  it.each([
    ['P-256', ec],
    ['RSA-2048', rsa],
  ] as const)('is the library’s own SubjectPublicKeyInfo, for a %s certificate', async (_, algorithm) => {
    const cert = await selfSigned(algorithm);
    expect(sameKey(certificatePublicKey(cert.rawData), cert.publicKey.rawData)).toBe(true);
  });

  it('finds the key of a v1 certificate (no explicit version)', async () => {
    const cert = await selfSigned(ec);
    // Drop the [0] version from the TBS by rebuilding it through the ASN.1 structures.
    const { AsnConvert } = await import('@peculiar/asn1-schema');
    const asn = AsnConvert.parse(cert.rawData, (await import('@peculiar/asn1-x509')).Certificate);
    asn.tbsCertificate.version = 0;
    delete (asn.tbsCertificate as { extensions?: unknown }).extensions;
    const v1 = AsnConvert.serialize(asn);
    expect(sameKey(certificatePublicKey(v1), cert.publicKey.rawData)).toBe(true);
  });

  it('refuses bytes that are not framed as one', () => {
    expect(() => csrPublicKey(Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x00))).toThrow('not a DER certificate request');
    expect(() => certificatePublicKey(Uint8Array.of(0x04, 0x00))).toThrow('not a DER certificate');
  });
});

describe('publicKeyFromSpki', () => {
  it('makes each key once: the same bytes give the same KeyObject, other bytes their own', async () => {
    const spkiOf = async (algorithm: typeof ec | typeof rsa) => {
      const keys = (await crypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
      return new Uint8Array(await crypto.subtle.exportKey('spki', keys.publicKey));
    };
    for (const algorithm of [ec, rsa]) {
      const spki = await spkiOf(algorithm);
      const key = publicKeyFromSpki(spki);
      // A copy of the bytes, inside a larger buffer: found by the bytes, not by the buffer.
      const copy = new Uint8Array(spki.length + 8).subarray(4, 4 + spki.length);
      copy.set(spki);
      expect(publicKeyFromSpki(copy)).toBe(key);
      expect(Buffer.from(key.export({ type: 'spki', format: 'der' })).equals(Buffer.from(spki))).toBe(true);
      const other = publicKeyFromSpki(await spkiOf(algorithm));
      expect(other).not.toBe(key);
      expect(other.equals(key)).toBe(false);
    }
  });
});
