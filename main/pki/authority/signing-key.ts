// The CA's private key as the signer sees it: something that signs SHA-256 over bytes and gives a
// signature in X.509's encoding. A key from the encrypted file signs through Node's crypto on the
// thread pool; a key in a PKCS#11 token (#20) signs through the token's WebCrypto, which gives
// ECDSA as r‖s (IEEE P1363) — turned here into the DER ECDSA-Sig-Value a certificate carries.
import crypto from 'node:crypto';
import type { CryptoKey } from '../crypto';
import { DER_SEQUENCE, derTlv } from '../der';

export interface CaSigningKey {
  readonly kind: 'ec' | 'rsa';
  sign(data: Uint8Array): Promise<Uint8Array>;
}

export function fileSigningKey(key: CryptoKey): CaSigningKey {
  const keyObject = crypto.KeyObject.from(key as Parameters<typeof crypto.KeyObject.from>[0]);
  return {
    kind: keyObject.asymmetricKeyType === 'rsa' ? 'rsa' : 'ec',
    sign: (data) =>
      new Promise((resolve, reject) =>
        crypto.sign('sha256', data, { key: keyObject, dsaEncoding: 'der' }, (error, signature) =>
          error ? reject(error) : resolve(new Uint8Array(signature)),
        ),
      ),
  };
}

interface TokenSubtle {
  sign(algorithm: { name: string; hash: string }, key: unknown, data: Uint8Array): Promise<ArrayBuffer>;
}

export function tokenSigningKey(
  subtle: TokenSubtle,
  privateKey: CryptoKey,
  failed: (error: unknown) => Error = (error) => error as Error,
): CaSigningKey {
  const rsa = privateKey.algorithm.name.startsWith('RSA');
  const algorithm = { name: rsa ? 'RSASSA-PKCS1-v1_5' : 'ECDSA', hash: 'SHA-256' };
  // One signature at a time: a PKCS#11 session runs one operation, and a second C_SignInit while one
  // is active fails (CKR_OPERATION_ACTIVE) — a bulk run asks for hundreds at once.
  let previous: Promise<unknown> = Promise.resolve();
  return {
    kind: rsa ? 'rsa' : 'ec',
    sign(data) {
      const signed = previous.then(async () => {
        let signature: Uint8Array;
        try {
          signature = new Uint8Array(await subtle.sign(algorithm, privateKey, data));
        } catch (error) {
          // A token pulled or failing: in words, with a code. The serial stays reserved and a rerun signs it.
          throw failed(error);
        }
        return rsa ? signature : ecdsaDer(signature);
      });
      previous = signed.catch(() => undefined);
      return signed;
    },
  };
}

/** IEEE P1363 r‖s → DER SEQUENCE { INTEGER r, INTEGER s } (RFC 3279 §2.2.3). */
export function ecdsaDer(raw: Uint8Array): Uint8Array {
  const half = raw.length / 2;
  const integer = (bytes: Uint8Array) => {
    let start = 0;
    while (start < bytes.length - 1 && bytes[start] === 0) start++;
    const trimmed = bytes.subarray(start);
    return derTlv(0x02, trimmed[0]! & 0x80 ? Uint8Array.of(0, ...trimmed) : trimmed);
  };
  return derTlv(DER_SEQUENCE, integer(raw.subarray(0, half)), integer(raw.subarray(half)));
}
