// Small secrets at rest (EST passwords, SCEP challenges, RA client keys): AES-256-GCM under a key
// derived from the station passphrase with scrypt (N=2^15, r=8, p=1 — RFC 7914's interactive
// figure), a fresh salt and nonce per secret. GCM's tag makes a wrong passphrase a coded error,
// never garbage. The profile name is bound as associated data so sealed blobs cannot be swapped.
import crypto from 'node:crypto';
import { EnrollerError } from '../../shared/errors';

const VERSION = 1;
const SCRYPT = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;

interface Sealed {
  readonly v: number;
  readonly salt: string;
  readonly iv: string;
  readonly tag: string;
  readonly data: string;
}

function deriveKey(passphrase: string, salt: Buffer): Buffer {
  return crypto.scryptSync(passphrase.normalize('NFC'), salt, 32, SCRYPT);
}

export function seal(plaintext: string, passphrase: string, context: string): string {
  if (passphrase.length < 8)
    throw new EnrollerError('CA_PASSPHRASE_REQUIRED', 'The station passphrase must have at least 8 characters.');
  const salt = crypto.randomBytes(16);
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv('aes-256-gcm', deriveKey(passphrase, salt), iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const sealed: Sealed = {
    v: VERSION,
    salt: salt.toString('base64'),
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    data: data.toString('base64'),
  };
  return JSON.stringify(sealed);
}

export function open(sealedText: string, passphrase: string, context: string): string {
  const sealed = JSON.parse(sealedText) as Sealed;
  if (sealed.v !== VERSION)
    throw new EnrollerError('PROFILE_INVALID', `A sealed secret has an unknown format version ${sealed.v}.`);
  try {
    const decipher = crypto.createDecipheriv(
      'aes-256-gcm',
      deriveKey(passphrase, Buffer.from(sealed.salt, 'base64')),
      Buffer.from(sealed.iv, 'base64'),
    );
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]).toString('utf8');
  } catch {
    throw new EnrollerError(
      'SECRET_WRONG_PASSPHRASE',
      'The station passphrase does not open the stored secrets of this profile.',
    );
  }
}
