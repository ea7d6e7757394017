// CA private keys at rest: only ever as encrypted PKCS#8 (EncryptedPrivateKeyInfo, RFC 5958)
// with PBES2 = PBKDF2-HMAC-SHA256, 600,000 iterations (OWASP 2023) + AES-256-CBC (RFC 8018).
// The standard format means OpenSSL can open it too (`openssl pkey -in key.pem`), so a factory
// is never locked into this station. Decrypted keys live only as non-extractable CryptoKeys.
import crypto from 'node:crypto';
import * as pkijs from 'pkijs';
import { EnrollerError } from '../../../shared/errors';
import { webcrypto, type CryptoKey, type SigningAlgorithm } from '../crypto';

export const PBKDF2_ITERATIONS = 600_000;

pkijs.setEngine(
  'node',
  new pkijs.CryptoEngine({
    name: 'node',
    crypto: webcrypto as unknown as ConstructorParameters<typeof pkijs.CryptoEngine>[0]['crypto'],
  }),
);

export async function encryptPrivateKey(pkcs8: Uint8Array, passphrase: string): Promise<Uint8Array> {
  if (passphrase.length < 8)
    throw new EnrollerError('CA_PASSPHRASE_REQUIRED', 'The CA passphrase must have at least 8 characters.');
  const bag = new pkijs.PKCS8ShroudedKeyBag({ parsedValue: pkijs.PrivateKeyInfo.fromBER(pkcs8) });
  await bag.makeInternalValues({
    password: new TextEncoder().encode(passphrase).buffer,
    contentEncryptionAlgorithm: { name: 'AES-CBC', length: 256 } as Parameters<
      pkijs.PKCS8ShroudedKeyBag['makeInternalValues']
    >[0]['contentEncryptionAlgorithm'],
    hmacHashAlgorithm: 'SHA-256',
    iterationCount: PBKDF2_ITERATIONS,
  });
  return new Uint8Array(bag.toSchema().toBER());
}

interface OpenableBag {
  parseInternalValues(parameters: { password: ArrayBuffer }): Promise<void>;
  parsedValue?: pkijs.PrivateKeyInfo;
}

/**
 * Decrypts the key. PBKDF2 (600,000 iterations, about 0.3 s) runs on Node's thread pool through
 * WebCrypto, not on the main thread, so a station unlocking its CA keeps talking to its devices.
 */
export async function decryptPrivateKey(encrypted: Uint8Array, passphrase: string): Promise<crypto.KeyObject> {
  let pkcs8: ArrayBuffer;
  try {
    const bag = pkijs.PKCS8ShroudedKeyBag.fromBER(encrypted) as unknown as OpenableBag;
    // The bag's own decryption (PBES2 through the WebCrypto engine), declared protected in pkijs.
    await bag.parseInternalValues({ password: new TextEncoder().encode(passphrase).buffer });
    pkcs8 = bag.parsedValue!.toSchema().toBER();
  } catch (error) {
    throw new EnrollerError('CA_WRONG_PASSPHRASE', 'The CA passphrase is wrong (or the key file is damaged).', {
      cause: (error as Error).message,
    });
  }
  try {
    return crypto.createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' });
  } finally {
    new Uint8Array(pkcs8).fill(0);
  }
}

/** The key as a non-extractable WebCrypto signing key. */
export async function toSigningKey(key: crypto.KeyObject): Promise<CryptoKey> {
  const algorithm = signingAlgorithmFor(key);
  const pkcs8 = key.export({ format: 'der', type: 'pkcs8' });
  try {
    return await webcrypto.subtle.importKey('pkcs8', pkcs8, algorithm, false, ['sign']);
  } finally {
    pkcs8.fill(0);
  }
}

export function signingAlgorithmFor(key: crypto.KeyObject): SigningAlgorithm {
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    return { name: 'ECDSA', namedCurve: curve === 'secp384r1' ? 'P-384' : 'P-256' };
  }
  return { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
}
