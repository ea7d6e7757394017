// A named corpus of hostile and broken CSRs. Each must be refused with its own stable code, and
// none may crash the station. Keys of kinds WebCrypto cannot make come from OpenSSL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { intakeCsr } from '../../../main/pki/csr-intake';
import { CryptoWorkers } from '../../../main/pki/crypto-workers';
import { addNullToEcdsaAlgorithm } from '../../../main/pki/csr-der';
import { x509 } from '../../../main/pki/crypto';
import { derTlv } from '../../../main/pki/der';
import { keyPair, makeCsr, P256, P384, RSA2048 } from '../../helpers/csr';
import { opensslCsr } from '../../helpers/openssl';

type Case = { name: string; code: string; csr: () => Promise<Uint8Array | string> };

const KU = x509.KeyUsageFlags;
const ext = {
  ca: () => new x509.BasicConstraintsExtension(true, undefined, true),
  ku: (flags: number) => new x509.KeyUsagesExtension(flags, true),
  eku: (...usages: string[]) => new x509.ExtendedKeyUsageExtension(usages),
  san: (type: 'dns' | 'url' | 'ip', value: string) => new x509.SubjectAlternativeNameExtension([{ type, value }]),
};

let valid: Uint8Array;
let proofs: CryptoWorkers;
beforeAll(async () => {
  valid = await makeCsr();
  proofs = new CryptoWorkers({ workers: 2 });
});
afterAll(() => proofs.close());

function flip(bytes: Uint8Array, fromEnd: number): Uint8Array {
  const copy = Uint8Array.from(bytes);
  copy[copy.length - fromEnd]! ^= 0x01;
  return copy;
}

const corpus: Case[] = [
  // proof of possession
  { name: 'bad signature (one bit flipped)', code: 'CSR_BAD_SIGNATURE', csr: async () => flip(valid, 3) },
  {
    // Its point's last bit flipped: (x, y ^ 1) is not on P-256, and the key's import refuses it.
    name: 'public key off its curve',
    code: 'CSR_KEY_TYPE_NOT_ALLOWED',
    csr: async () => {
      const copy = Buffer.from(valid);
      const at = copy.indexOf(Buffer.from('06082a8648ce3d03010703420004', 'hex'));
      expect(at).toBeGreaterThan(0);
      copy[at + 14 + 63]! ^= 0x01;
      return new Uint8Array(copy);
    },
  },
  {
    name: 'swapped key (signed by another key)',
    code: 'CSR_BAD_SIGNATURE',
    csr: async () => {
      const a = await keyPair();
      const b = await keyPair();
      return makeCsr({ keys: { publicKey: a.publicKey, privateKey: b.privateKey } as typeof a });
    },
  },
  {
    name: 'SHA-1 signature',
    code: 'CSR_SIGNATURE_ALGORITHM_UNSUPPORTED',
    csr: () => opensslCsr({ key: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'], digest: 'sha1' }),
  },
  // key policy
  {
    name: 'RSA-1024',
    code: 'CSR_KEY_TOO_SMALL',
    csr: () => opensslCsr({ key: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024'] }),
  },
  {
    name: 'RSA-512',
    code: 'CSR_KEY_TOO_SMALL',
    csr: () => opensslCsr({ key: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:512'] }),
  },
  {
    name: 'RSA exponent 3',
    code: 'CSR_KEY_BAD_EXPONENT',
    csr: () =>
      opensslCsr({ key: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-pkeyopt', 'rsa_keygen_pubexp:3'] }),
  },
  {
    name: 'RSA exponent 17',
    code: 'CSR_KEY_BAD_EXPONENT',
    csr: () =>
      opensslCsr({
        key: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-pkeyopt', 'rsa_keygen_pubexp:17'],
      }),
  },
  {
    name: 'RSA-4200 (too large)',
    code: 'CSR_KEY_TOO_LARGE',
    csr: () => opensslCsr({ key: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:4200'] }),
  },
  {
    name: 'RSA-2056 (odd size)',
    code: 'CSR_KEY_TYPE_NOT_ALLOWED',
    csr: () => opensslCsr({ key: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2056'] }),
  },
  {
    name: 'P-224',
    code: 'CSR_KEY_CURVE_NOT_ALLOWED',
    csr: () => opensslCsr({ key: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-224'] }),
  },
  {
    name: 'P-521',
    code: 'CSR_KEY_CURVE_NOT_ALLOWED',
    csr: () => opensslCsr({ key: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-521'] }),
  },
  {
    name: 'secp256k1',
    code: 'CSR_KEY_CURVE_NOT_ALLOWED',
    csr: () => opensslCsr({ key: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:secp256k1'] }),
  },
  {
    name: 'brainpoolP256r1',
    code: 'CSR_KEY_CURVE_NOT_ALLOWED',
    csr: () => opensslCsr({ key: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:brainpoolP256r1'] }),
  },
  {
    name: 'explicit curve parameters',
    code: 'CSR_KEY_EXPLICIT_CURVE',
    csr: () => opensslCsr({ keyCommand: 'ecparam', key: ['-name', 'prime256v1', '-param_enc', 'explicit'] }),
  },
  {
    name: 'DSA-2048',
    code: 'CSR_KEY_TYPE_NOT_ALLOWED',
    csr: () => opensslCsr({ keyCommand: 'dsa', key: ['-pkeyopt', 'pbits:2048', '-pkeyopt', 'qbits:256'] }),
  },
  { name: 'Ed25519', code: 'CSR_KEY_TYPE_NOT_ALLOWED', csr: () => opensslCsr({ key: ['-algorithm', 'ED25519'] }) },
  // framing
  { name: 'oversize (20 KiB)', code: 'CSR_TOO_LARGE', csr: async () => derTlv(0x30, new Uint8Array(20 * 1024)) },
  {
    name: 'deep nesting (2,000 levels)',
    code: 'CSR_MALFORMED',
    csr: async () => {
      let inner: Uint8Array = Uint8Array.of(0x05, 0x00);
      for (let i = 0; i < 2000; i++) inner = derTlv(0x30, inner);
      return inner;
    },
  },
  { name: 'empty', code: 'CSR_MALFORMED', csr: async () => new Uint8Array(0) },
  { name: 'truncated', code: 'CSR_MALFORMED', csr: async () => valid.subarray(0, valid.length - 10) },
  { name: 'trailing garbage', code: 'CSR_MALFORMED', csr: async () => Uint8Array.from([...valid, 0x00, 0x01]) },
  {
    name: 'indefinite length (BER)',
    code: 'CSR_MALFORMED',
    csr: async () => Uint8Array.of(0x30, 0x80, 0x05, 0x00, 0x00, 0x00),
  },
  {
    name: 'random bytes',
    code: 'CSR_MALFORMED',
    csr: async () => Uint8Array.from({ length: 300 }, (_, i) => (i * 37 + 11) & 0xff),
  },
  {
    name: 'a certificate, not a request',
    code: 'CSR_MALFORMED',
    csr: async () => {
      const keys = await keyPair();
      const cert = await x509.X509CertificateGenerator.createSelfSigned({
        serialNumber: '01',
        name: 'CN=x',
        keys: keys as never,
        signingAlgorithm: P256,
      });
      return new Uint8Array(cert.rawData);
    },
  },
  {
    name: 'PEM with broken base64',
    code: 'CSR_MALFORMED',
    csr: async () => '-----BEGIN CERTIFICATE REQUEST-----\nMIIB!!@@\n-----END CERTIFICATE REQUEST-----',
  },
  {
    name: 'version 1 instead of 0',
    code: 'CSR_MALFORMED',
    csr: async () => {
      const copy = Uint8Array.from(valid);
      const at = copy.findIndex((b, i) => b === 0x02 && copy[i + 1] === 0x01 && copy[i + 2] === 0x00);
      copy[at + 2] = 0x01;
      return copy;
    },
  },
  // requested extensions
  { name: 'CA:TRUE requested', code: 'CSR_REQUESTS_CA', csr: () => makeCsr({ extensions: [ext.ca()] }) },
  {
    name: 'keyCertSign requested',
    code: 'CSR_REQUESTS_CA',
    csr: () => makeCsr({ extensions: [ext.ku(KU.digitalSignature | KU.keyCertSign)] }),
  },
  { name: 'cRLSign requested', code: 'CSR_REQUESTS_CA', csr: () => makeCsr({ extensions: [ext.ku(KU.cRLSign)] }) },
  {
    name: 'CA:TRUE requested by OpenSSL',
    code: 'CSR_REQUESTS_CA',
    csr: () =>
      opensslCsr({
        key: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
        extensions: ['basicConstraints=critical,CA:TRUE'],
      }),
  },
  { name: 'EKU serverAuth', code: 'CSR_EXTRA_EKU', csr: () => makeCsr({ extensions: [ext.eku('1.3.6.1.5.5.7.3.1')] }) },
  {
    name: 'EKU anyExtendedKeyUsage',
    code: 'CSR_EXTRA_EKU',
    csr: () => makeCsr({ extensions: [ext.eku('2.5.29.37.0')] }),
  },
  {
    name: 'EKU codeSigning beside clientAuth',
    code: 'CSR_EXTRA_EKU',
    csr: () => makeCsr({ extensions: [ext.eku('1.3.6.1.5.5.7.3.2', '1.3.6.1.5.5.7.3.3')] }),
  },
  { name: 'SAN dNSName', code: 'CSR_EXTRA_SAN', csr: () => makeCsr({ extensions: [ext.san('dns', 'evil.example')] }) },
  {
    name: 'SAN URI',
    code: 'CSR_EXTRA_SAN',
    csr: () => makeCsr({ extensions: [ext.san('url', 'https://evil.example/')] }),
  },
  {
    name: 'SAN IP by OpenSSL',
    code: 'CSR_EXTRA_SAN',
    csr: () =>
      opensslCsr({
        key: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
        extensions: ['subjectAltName=IP:10.0.0.1'],
      }),
  },
  {
    name: 'keyUsage that is not a BIT STRING',
    code: 'CSR_MALFORMED',
    csr: () => makeCsr({ extensions: [new x509.Extension('2.5.29.15', true, Uint8Array.of(0x05, 0x00))] }),
  },
  {
    name: 'basicConstraints that is not a SEQUENCE',
    code: 'CSR_MALFORMED',
    csr: () => makeCsr({ extensions: [new x509.Extension('2.5.29.19', true, Uint8Array.of(0x01, 0x01, 0xff))] }),
  },
  {
    name: 'unknown critical extension',
    code: 'CSR_UNKNOWN_CRITICAL_EXTENSION',
    csr: () => makeCsr({ extensions: [new x509.Extension('1.2.3.4.5', true, Uint8Array.of(0x05, 0x00))] }),
  },
  // subject
  {
    name: 'subject injection with a comma',
    code: 'CSR_SUBJECT_INVALID',
    csr: () => makeCsr({ name: [{ CN: ['dev-1,O=Evil'] }] }),
  },
  {
    name: 'subject injection with a newline',
    code: 'CSR_SUBJECT_INVALID',
    csr: () => makeCsr({ name: [{ CN: ['dev-1\nO=Evil'] }] }),
  },
  {
    name: 'subject with a NUL byte',
    code: 'CSR_SUBJECT_INVALID',
    csr: () => makeCsr({ name: [{ CN: ['dev-1\u0000.evil'] }] }),
  },
  {
    name: 'subject with a double quote',
    code: 'CSR_SUBJECT_INVALID',
    csr: () => makeCsr({ name: [{ CN: ['dev"1'] }] }),
  },
  {
    name: 'multi-valued RDN',
    code: 'CSR_SUBJECT_INVALID',
    csr: () => makeCsr({ name: [{ CN: ['dev-1'], O: ['Evil'] }] }),
  },
  {
    name: 'CN of 65 characters',
    code: 'CSR_SUBJECT_INVALID',
    csr: () => makeCsr({ name: [{ CN: ['x'.repeat(65)] }] }),
  },
  {
    name: 'unknown subject attribute (title)',
    code: 'CSR_SUBJECT_INVALID',
    csr: () => makeCsr({ name: [{ '2.5.4.12': ['Boss'] }, { CN: ['dev-1'] }] }),
  },
  { name: 'leading space in CN', code: 'CSR_SUBJECT_INVALID', csr: () => makeCsr({ name: [{ CN: [' dev-1'] }] }) },
  {
    name: 'country of three letters',
    code: 'CSR_SUBJECT_INVALID',
    csr: () =>
      opensslCsr({
        key: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
        subject: '/C=DEU/CN=dev-1',
      }).catch(() => makeCsr({ name: [{ C: ['DEU'] }, { CN: ['dev-1'] }] })),
  },
  {
    name: 'CN twice',
    code: 'CSR_SUBJECT_INVALID',
    csr: () => makeCsr({ name: [{ CN: ['dev-1'] }, { CN: ['dev-2'] }] }),
  },
];

describe('hostile CSR corpus', () => {
  it('has at least 40 named cases', () => expect(corpus.length).toBeGreaterThanOrEqual(40));

  it.each(corpus)('$name → $code', async ({ csr, code }) => {
    const input = await csr();
    await expect(intakeCsr(input)).rejects.toMatchObject({ code, message: expect.any(String) });
  });

  // A bulk run proves possession on worker threads (crypto-workers.ts): the same refusal, in the same words.
  it.each(corpus)('$name → $code with the proof on a worker', async ({ csr, code }) => {
    const input = await csr();
    const here = await intakeCsr(input).catch((error: unknown) => error);
    await expect(intakeCsr(input, { proofs })).rejects.toMatchObject({ code, message: (here as Error).message });
  });
});

describe('acceptable CSRs', () => {
  it.each([
    ['EC P-256', () => makeCsr({ alg: P256 })],
    ['EC P-384', () => makeCsr({ alg: P384 })],
    ['RSA-2048', () => makeCsr({ alg: RSA2048 })],
    ['RSA-3072 from OpenSSL', () => opensslCsr({ key: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:3072'] })],
    [
      'nRF91 quirk (NULL parameters) with keyUsage',
      async () =>
        addNullToEcdsaAlgorithm(
          await makeCsr({
            extensions: [
              new x509.KeyUsagesExtension(
                KU.digitalSignature | KU.nonRepudiation | KU.keyEncipherment | KU.keyAgreement,
                false,
              ),
            ],
          }),
        ),
    ],
    [
      'CA:FALSE and keyUsage in two octets (decipherOnly)',
      () =>
        makeCsr({
          extensions: [
            new x509.BasicConstraintsExtension(false, undefined, true),
            new x509.KeyUsagesExtension(KU.keyAgreement | KU.decipherOnly, true),
          ],
        }),
    ],
    ['PEM text', async () => new x509.Pkcs10CertificateRequest(await makeCsr()).toString('pem')],
    ['base64url text', async () => Buffer.from(await makeCsr()).toString('base64url')],
    ['clientAuth EKU only', () => makeCsr({ extensions: [ext.eku('1.3.6.1.5.5.7.3.2')] })],
  ] as const)('%s is accepted', async (_name, make) => {
    const accepted = await intakeCsr(await make());
    expect(accepted.subjectFields.CN).toBe('device-1');
    expect(accepted.keyFingerprint).toMatch(/^[0-9a-f]{64}$/);
    // A request made anew (another key) is not one the intake remembers: this one is proved on a worker.
    const onWorker = await intakeCsr(await make(), { proofs });
    expect(onWorker.subjectFields.CN).toBe('device-1');
    expect(onWorker.keyAlgorithm).toBe(accepted.keyAlgorithm);
  });

  it('keeps the challengePassword (the enrollment code)', async () => {
    const accepted = await intakeCsr(
      await makeCsr({ attributes: [new x509.ChallengePasswordAttribute('enroll-1234')] }),
    );
    expect(accepted.challengePassword).toBe('enroll-1234');
  });

  it('is taken in again under other rules: an accepted request is remembered only with its rules', async () => {
    const der = await makeCsr({ alg: P384 });
    expect((await intakeCsr(der, { keyPolicy: { allowed: ['ec-p384'] } })).keyAlgorithm).toBe('ec-p384');
    await expect(intakeCsr(der, { keyPolicy: { allowed: ['ec-p256'] } })).rejects.toMatchObject({
      code: 'CSR_KEY_TYPE_NOT_ALLOWED',
    });
  });
});
