// Small certificate factories for test servers: a CA, and certificates it signs.
import { x509, webcrypto, type CryptoKeyPair } from '../../main/pki/crypto';
import { randomSerial } from '../../main/pki/authority/serial';
import { pemBlock } from '../../main/pki/pem';

export const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
export const RSA = {
  name: 'RSASSA-PKCS1-v1_5',
  modulusLength: 2048,
  publicExponent: new Uint8Array([1, 0, 1]),
  hash: 'SHA-256',
} as const;

export interface TestCa {
  readonly certificate: x509.X509Certificate;
  readonly keys: CryptoKeyPair;
  readonly algorithm: typeof EC | typeof RSA;
}

export async function keys(algorithm: typeof EC | typeof RSA = EC): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as CryptoKeyPair;
}

export async function testCa(name: string, algorithm: typeof EC | typeof RSA = EC): Promise<TestCa> {
  const pair = await keys(algorithm);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: `CN=${name}`,
    notBefore: new Date(Date.now() - 3_600_000),
    notAfter: new Date(Date.now() + 10 * 365 * 86_400_000),
    keys: pair as never,
    signingAlgorithm: algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
        true,
      ),
    ],
  });
  return { certificate, keys: pair, algorithm };
}

export async function signCertificate(
  ca: TestCa,
  options: {
    subject: string;
    publicKey: x509.PublicKey | CryptoKeyPair['publicKey'];
    sans?: x509.JsonGeneralNames;
    notBefore?: Date;
    notAfter?: Date;
    serverAuth?: boolean;
    clientAuth?: boolean;
  },
): Promise<x509.X509Certificate> {
  const usages = [
    ...(options.serverAuth ? ['1.3.6.1.5.5.7.3.1'] : []),
    ...(options.clientAuth ? ['1.3.6.1.5.5.7.3.2'] : []),
  ];
  return x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: options.subject,
    issuer: ca.certificate.subject,
    notBefore: options.notBefore ?? new Date(Date.now() - 3_600_000),
    notAfter: options.notAfter ?? new Date(Date.now() + 365 * 86_400_000),
    publicKey: options.publicKey as never,
    signingKey: ca.keys.privateKey as never,
    signingAlgorithm: ca.algorithm,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      ...(usages.length ? [new x509.ExtendedKeyUsageExtension(usages)] : []),
      ...(options.sans ? [new x509.SubjectAlternativeNameExtension(options.sans)] : []),
    ],
  });
}

export async function privateKeyPem(pair: CryptoKeyPair): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', pair.privateKey));
  return pemBlock('PRIVATE KEY', der);
}
