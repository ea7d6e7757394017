// CSRs made in process with @peculiar/x509 and WebCrypto, for tests.
import { x509, webcrypto } from '../../main/pki/crypto';

export const P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
export const P384 = { name: 'ECDSA', namedCurve: 'P-384', hash: 'SHA-384' } as const;
export const RSA2048 = {
  name: 'RSASSA-PKCS1-v1_5',
  modulusLength: 2048,
  publicExponent: new Uint8Array([1, 0, 1]),
  hash: 'SHA-256',
} as const;

type Alg = typeof P256 | typeof P384 | typeof RSA2048;
type Keys = Parameters<typeof x509.Pkcs10CertificateRequestGenerator.create>[0]['keys'];

export async function keyPair(alg: Alg = P256): Promise<Keys> {
  return (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as unknown as Keys;
}

export async function makeCsr(
  options: {
    name?: string | x509.JsonName;
    keys?: Keys;
    alg?: Alg;
    extensions?: x509.Extension[];
    attributes?: x509.Attribute[];
  } = {},
): Promise<Uint8Array<ArrayBuffer>> {
  const alg = options.alg ?? P256;
  const request = await x509.Pkcs10CertificateRequestGenerator.create({
    name: options.name ?? 'CN=device-1',
    keys: options.keys ?? (await keyPair(alg)),
    signingAlgorithm: alg,
    ...(options.extensions ? { extensions: options.extensions } : {}),
    ...(options.attributes ? { attributes: options.attributes } : {}),
  });
  return new Uint8Array(request.rawData);
}
