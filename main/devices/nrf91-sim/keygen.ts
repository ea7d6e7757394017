// What %KEYGEN does inside a modem: a fresh ECDSA P-256 key, a PKCS#10 CSR signed by it (with
// the NULL-parameter quirk of current firmware), and a COSE_Sign1 over [9, UUID, sec tag,
// SHA-256(CSR), nonce] signed by the device identity key (nrf91-at.md §4.2).
import crypto from 'node:crypto';
import { encode, Tag } from 'cbor2';
import { x509, webcrypto } from '../../pki/crypto';
import { addNullToEcdsaAlgorithm } from '../../pki/csr-der';

const P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const ES256 = { name: 'ECDSA', hash: 'SHA-256' } as const;

/** X.509 keyUsage bits in the order of KEYGEN's 9-character string (digitalSignature first). */
const KEY_USAGE_BITS = [
  x509.KeyUsageFlags.digitalSignature,
  x509.KeyUsageFlags.nonRepudiation,
  x509.KeyUsageFlags.keyEncipherment,
  x509.KeyUsageFlags.dataEncipherment,
  x509.KeyUsageFlags.keyAgreement,
  x509.KeyUsageFlags.keyCertSign,
  x509.KeyUsageFlags.cRLSign,
  x509.KeyUsageFlags.encipherOnly,
  x509.KeyUsageFlags.decipherOnly,
];

export function keyUsageFlags(bits: string): number {
  return [...bits].reduce((flags, bit, i) => (bit === '1' ? flags | (KEY_USAGE_BITS[i] ?? 0) : flags), 0);
}

export async function generateIdentityKey(): Promise<string> {
  const pair = await webcrypto.subtle.generateKey(P256, true, ['sign', 'verify']);
  return Buffer.from(await webcrypto.subtle.exportKey('pkcs8', pair.privateKey)).toString('base64');
}

async function importSigningKey(pkcs8Base64: string): Promise<CryptoKeyLike> {
  return webcrypto.subtle.importKey('pkcs8', Buffer.from(pkcs8Base64, 'base64'), P256, false, ['sign']);
}

type CryptoKeyLike = Awaited<ReturnType<typeof webcrypto.subtle.importKey>>;

export interface KeygenOutput {
  readonly csrDer: Uint8Array;
  readonly cose: Uint8Array;
  readonly privateKeyPkcs8: string;
  readonly publicKeySpki: Uint8Array;
}

export async function modemKeygen(options: {
  readonly subject: string;
  readonly keyUsage: string;
  readonly secTag: number;
  readonly deviceUuid: Uint8Array;
  readonly identityKey: string;
  readonly nullQuirk: boolean;
}): Promise<KeygenOutput> {
  const keys = await webcrypto.subtle.generateKey(P256, true, ['sign', 'verify']);
  const request = await x509.Pkcs10CertificateRequestGenerator.create({
    name: options.subject,
    keys: keys as unknown as Parameters<typeof x509.Pkcs10CertificateRequestGenerator.create>[0]['keys'],
    signingAlgorithm: ES256,
    extensions: [new x509.KeyUsagesExtension(keyUsageFlags(options.keyUsage), false)],
  });
  const plain = new Uint8Array(request.rawData);
  const csrDer = options.nullQuirk ? addNullToEcdsaAlgorithm(plain) : plain;
  const payload = encode(
    new Tag(55799, [
      9,
      options.deviceUuid,
      encode(options.secTag),
      new Uint8Array(crypto.createHash('sha256').update(csrDer).digest()),
      new Uint8Array(crypto.randomBytes(16)),
    ]),
  );
  return {
    csrDer,
    cose: await coseSign1(payload, options.identityKey, false),
    privateKeyPkcs8: Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64'),
    publicKeySpki: new Uint8Array(await webcrypto.subtle.exportKey('spki', keys.publicKey)),
  };
}

/** COSE_Sign1 (RFC 9052 §4.2) with ES256 and key id h'21' ("identity key"), as the modem makes it. */
export async function coseSign1(payload: Uint8Array, identityKey: string, detached: boolean): Promise<Uint8Array> {
  const protectedHeader = encode(new Map([[1, -7]]));
  const toBeSigned = encode(['Signature1', protectedHeader, new Uint8Array(0), payload]);
  const signature = new Uint8Array(await webcrypto.subtle.sign(ES256, await importSigningKey(identityKey), toBeSigned));
  return encode(
    new Tag(18, [protectedHeader, new Map([[4, Uint8Array.of(0x21)]]), detached ? null : payload, signature]),
  );
}

export async function attestationToken(
  identity: { deviceUuid: Uint8Array; deviceType: number; firmwareUuid: Uint8Array },
  identityKey: string,
): Promise<string> {
  const body = encode(
    new Tag(55799, [
      1,
      identity.deviceUuid,
      identity.deviceType,
      identity.firmwareUuid,
      new Uint8Array(crypto.randomBytes(16)),
    ]),
  );
  const cose = await coseSign1(body, identityKey, true);
  return `${Buffer.from(body).toString('base64url')}.${Buffer.from(cose).toString('base64url')}`;
}
