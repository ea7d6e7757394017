// A public key's kind as the rules about keys speak of it (a cloud's, an EST server's): EC on which
// curve, or RSA of how many bits. Read by Node's own key parser from the SubjectPublicKeyInfo.
import crypto from 'node:crypto';

export interface KeyShape {
  readonly type: 'ec' | 'rsa' | string;
  readonly curve?: string | undefined;
  readonly bits?: number | undefined;
}

/** The shape of a SubjectPublicKeyInfo (DER). */
export function keyShapeOf(spki: Uint8Array): KeyShape {
  const key = crypto.createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  const details = key.asymmetricKeyDetails ?? {};
  return { type: key.asymmetricKeyType ?? 'unknown', curve: details.namedCurve, bits: details.modulusLength };
}

export function describeKey(key: KeyShape): string {
  if (key.type === 'ec') return `EC ${key.curve ?? 'on an unknown curve'}`;
  if (key.type === 'rsa') return `RSA ${key.bits ?? '?'} bits`;
  return key.type.toUpperCase();
}
