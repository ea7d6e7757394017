// The self-signed certificate a SCEP requester (and a TPM key) signs for itself carries a random
// serial. Random bytes with only the top bit cleared start with 0x00 one time in 256, and then the
// INTEGER has a superfluous leading zero octet, which OpenSSL refuses ("illegal padding"): CI met
// it once. Every serial here is the minimal positive DER encoding.
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { readTlv } from '../../../main/pki/der';
import { selfSignedCertificate, type ExternalSigner } from '../../../main/pki/external-signer';

const { publicKey, privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const signer: ExternalSigner = {
  algorithm: 'ec-p256',
  spki: new Uint8Array(publicKey.export({ format: 'der', type: 'spki' })),
  sign: async (data) => new Uint8Array(crypto.sign('sha256', data, { key: privateKey, dsaEncoding: 'der' })),
};

/** The serialNumber INTEGER's content octets: Certificate → TBSCertificate → [0] version → INTEGER. */
function serialOf(der: Uint8Array): Uint8Array {
  const tbs = readTlv(der, readTlv(der, 0)!.contentStart)!;
  const version = readTlv(der, tbs.contentStart)!;
  const serial = readTlv(der, version.end)!;
  expect(serial.tag).toBe(0x02);
  return der.subarray(serial.contentStart, serial.end);
}

describe('a self-signed certificate’s serial', () => {
  it('is a positive INTEGER with no superfluous leading octet, every time (2,000 drawn)', async () => {
    for (let i = 0; i < 2000; i++) {
      const serial = serialOf(new Uint8Array((await selfSignedCertificate(signer, 'requester')).rawData));
      expect(serial[0]! & 0x80, 'negative').toBe(0);
      if (serial.length > 1) expect(serial[0] === 0 && serial[1]! < 0x80, 'a superfluous leading zero').toBe(false);
    }
  });
});
