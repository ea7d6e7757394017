// A PEM block as OpenSSL writes one: the same base64, cut into the same 64-column lines, for every
// length around a line's end; and only the bytes of a view, not the buffer around it. A
// certificate's PEM is the X.509 library's own, character for character.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { x509 } from '../../../main/pki/crypto';
import { certificatePem, pemBlock } from '../../../main/pki/pem';

function opensslBase64(bytes: Uint8Array): string {
  return execFileSync('openssl', ['base64', '-e'], { input: bytes }).toString();
}

describe('pemBlock', () => {
  it.each([1, 2, 3, 47, 48, 49, 95, 96, 97, 520, 1190])('wraps %i bytes as openssl base64 does', (length) => {
    const der = crypto.randomBytes(length);
    expect(pemBlock('CERTIFICATE', der)).toBe(
      `-----BEGIN CERTIFICATE-----\n${opensslBase64(der)}-----END CERTIFICATE-----\n`,
    );
  });

  it('encodes only the bytes a view shows', () => {
    const around = crypto.randomBytes(300);
    const view = around.subarray(17, 217);
    expect(pemBlock('X', view)).toBe(`-----BEGIN X-----\n${opensslBase64(Buffer.from(view))}-----END X-----\n`);
  });
});

describe('certificatePem', () => {
  it("is the X.509 library's toString('pem'), character for character", async () => {
    const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
    const keys = await crypto.webcrypto.subtle.generateKey(algorithm, false, ['sign', 'verify']);
    for (const name of ['CN=a', `CN=${'long name '.repeat(12)}, O=Floor`]) {
      const certificate = await x509.X509CertificateGenerator.createSelfSigned({
        serialNumber: '01',
        name,
        keys,
        signingAlgorithm: algorithm,
      });
      expect(certificatePem(certificate)).toBe(certificate.toString('pem'));
    }
  });
});
