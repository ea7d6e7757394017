// The station CA's own signer makes what the X.509 library's generator makes: the same
// TBSCertificate byte for byte (EC and RSA CAs, with and without SANs), a signature that verifies
// under the issuing key, and a certificate object, put together from its parts rather than parsed,
// that answers every question as its DER parsed back does, and whose structure encodes to that DER.
import { AsnConvert } from '@peculiar/asn1-schema';
import { describe, expect, it } from 'vitest';
import { CertificateSigner } from '../../../main/pki/authority/certificate-signer';
import { keyIdentifier } from '../../../main/pki/authority/local-authority';
import { ecdsaDer, fileSigningKey, tokenSigningKey } from '../../../main/pki/authority/signing-key';
import { webcrypto, x509 } from '../../../main/pki/crypto';
import { childrenOf, readTlv } from '../../../main/pki/der';

const ALGORITHMS = {
  ec: { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' },
  rsa: { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
} as const;

async function issuingCa(kind: keyof typeof ALGORITHMS) {
  const keys = (await webcrypto.subtle.generateKey(ALGORITHMS[kind], false, ['sign', 'verify'])) as CryptoKeyPair;
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=Signer Test CA, O=Floor Enroller',
    keys: keys as never,
    signingAlgorithm: ALGORITHMS[kind],
    extensions: [new x509.BasicConstraintsExtension(true, 0, true)],
  });
  return { keys, certificate };
}

/** The TBSCertificate's very bytes, cut from the certificate's framing (nothing re-encoded). */
function tbsOf(der: ArrayBuffer): Buffer {
  const bytes = new Uint8Array(der);
  const tbs = childrenOf(bytes, readTlv(bytes, 0)!)![0]!;
  return Buffer.from(bytes.subarray(tbs.start, tbs.end));
}

function expectSameCertificate(made: x509.X509Certificate, parsed: x509.X509Certificate): void {
  // The structure and the to-be-signed bytes are the library's own (protected, private) fields.
  const inside = (c: x509.X509Certificate) => c as unknown as { asn: object; tbs: ArrayBuffer };
  expect(Buffer.from(AsnConvert.serialize(inside(made).asn)).equals(Buffer.from(parsed.rawData))).toBe(true);
  expect(Buffer.from(inside(made).tbs).equals(Buffer.from(inside(parsed).tbs))).toBe(true);
  for (const field of ['serialNumber', 'subject', 'issuer'] as const) expect(made[field]).toBe(parsed[field]);
  expect(made.notBefore.getTime()).toBe(parsed.notBefore.getTime());
  expect(made.notAfter.getTime()).toBe(parsed.notAfter.getTime());
  expect(made.signatureAlgorithm).toEqual(parsed.signatureAlgorithm);
  expect(Buffer.from(made.signature).equals(Buffer.from(parsed.signature))).toBe(true);
  expect(Buffer.from(made.publicKey.rawData).equals(Buffer.from(parsed.publicKey.rawData))).toBe(true);
  const extensions = (c: x509.X509Certificate) =>
    c.extensions.map((e) => [e.type, e.critical, Buffer.from(e.rawData).toString('hex')]);
  expect(extensions(made)).toEqual(extensions(parsed));
  expect(made.equal(parsed)).toBe(true);
}

describe('CertificateSigner', () => {
  for (const kind of ['ec', 'rsa'] as const) {
    for (const withSan of [false, true]) {
      it(`makes the generator's TBSCertificate (${kind} CA${withSan ? ', with a SAN' : ''})`, async () => {
        const ca = await issuingCa(kind);
        const device = await webcrypto.subtle.generateKey(ALGORITHMS.ec, true, ['sign', 'verify']);
        const spki = new Uint8Array(await webcrypto.subtle.exportKey('spki', device.publicKey));
        const name = [{ CN: ['nrf-352656100000001'] }, { O: ['Acme'] }];
        // Milliseconds, as a clock gives them: a certificate holds whole seconds.
        const notBefore = new Date('2026-11-29T10:00:00.750Z');
        const notAfter = new Date('2036-11-29T10:00:00.250Z');
        const authorityKeyId = await x509.AuthorityKeyIdentifierExtension.create(ca.certificate);
        const fixed = [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
          new x509.ExtendedKeyUsageExtension(['1.3.6.1.5.5.7.3.2'], false),
        ];
        const san = new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'dev-1.example' }]);
        const serial = 'c3f1a0b2d4e5f60718293a4b5c6d7e8f'; // top bit set: a leading zero is added

        const expected = await x509.X509CertificateGenerator.create({
          serialNumber: serial,
          subject: name,
          issuer: ca.certificate.subject,
          notBefore,
          notAfter,
          publicKey: new x509.PublicKey(spki),
          signingKey: ca.keys.privateKey as never,
          signingAlgorithm: ALGORITHMS[kind],
          extensions: [
            ...fixed,
            new x509.SubjectKeyIdentifierExtension(keyIdentifier(spki)),
            authorityKeyId,
            ...(withSan ? [san] : []),
          ],
        });
        const signer = new CertificateSigner(ca.certificate, fileSigningKey(ca.keys.privateKey));
        const made = await signer.sign({
          serial,
          subject: new x509.Name(name),
          notBefore,
          notAfter,
          spki,
          extensions: [
            ...fixed.map((e) => CertificateSigner.extension(e)),
            'ski',
            CertificateSigner.extension(authorityKeyId),
            ...(withSan ? [CertificateSigner.extension(san)] : []),
          ],
        });

        expect(tbsOf(made.rawData).equals(tbsOf(expected.rawData))).toBe(true);
        expect(await made.verify({ publicKey: ca.certificate.publicKey, signatureOnly: true })).toBe(true);
        const parsed = new x509.X509Certificate(made.rawData);
        expect(parsed.serialNumber).toBe(serial);
        // The object handed back answers from its structure what its DER says.
        expectSameCertificate(made, parsed);
        expect(parsed.subject).toBe(expected.subject);
        expect(parsed.issuer).toBe(ca.certificate.subject);
        expect(made.toString('pem')).toBe(parsed.toString('pem'));
        expect(await parsed.verify({ publicKey: ca.certificate.publicKey, signatureOnly: true })).toBe(true);
      });
    }
  }

  it('signs through a WebCrypto (as a PKCS#11 token does): P1363 ECDSA turned into DER that verifies', async () => {
    const ca = await issuingCa('ec');
    const signer = new CertificateSigner(
      ca.certificate,
      tokenSigningKey(webcrypto.subtle as never, ca.keys.privateKey),
    );
    const device = await webcrypto.subtle.generateKey(ALGORITHMS.ec, true, ['sign', 'verify']);
    const made = await signer.sign({
      serial: '01',
      subject: new x509.Name('CN=through-webcrypto'),
      notBefore: new Date('2026-11-29T10:00:00Z'),
      notAfter: new Date('2027-11-29T10:00:00Z'),
      spki: new Uint8Array(await webcrypto.subtle.exportKey('spki', device.publicKey)),
      extensions: ['ski'],
    });
    const parsed = new x509.X509Certificate(made.rawData);
    expect(await parsed.verify({ publicKey: ca.certificate.publicKey, signatureOnly: true })).toBe(true);
    expectSameCertificate(made, parsed);
  });

  it('encodes r‖s as DER INTEGERs: leading zeros dropped, a 00 added before a high bit', () => {
    const raw = new Uint8Array(64);
    raw[0] = 0x00;
    raw[1] = 0x81; // r = 0x0081… → INTEGER 00 81 … (31 bytes + pad)
    raw[32] = 0x7f; // s starts below 0x80 → no pad
    const hex = Buffer.from(ecdsaDer(raw)).toString('hex');
    const r = `0220 0081${'00'.repeat(30)}`.replace(' ', ''); // 31 bytes after the leading zero, then a 00 pad
    const s = `0220 7f${'00'.repeat(31)}`.replace(' ', '');
    expect(hex).toBe(`3044${r}${s}`);
    // A zero value is one zero byte.
    expect(Buffer.from(ecdsaDer(new Uint8Array(64))).toString('hex')).toBe('3006020100020100');
  });

  it('turns a token that stops signing into the error it is given, and signs again after it', async () => {
    const ca = await issuingCa('ec');
    let pulled = true;
    const subtle = {
      sign: (algorithm: never, key: never, data: Uint8Array) =>
        pulled ? Promise.reject(new Error('CKR_DEVICE_REMOVED')) : webcrypto.subtle.sign(algorithm, key, data),
    };
    const key = tokenSigningKey(subtle as never, ca.keys.privateKey, (e) =>
      Object.assign(new Error('token gone'), { cause: e }),
    );
    await expect(key.sign(new Uint8Array([1]))).rejects.toThrow('token gone');
    pulled = false;
    expect((await key.sign(new Uint8Array([1])))[0]).toBe(0x30); // one failure does not stop the next signature
  });
});
