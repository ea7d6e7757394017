// Secrets under a data key (AES-256-GCM, a fresh nonce each, the secret's name as associated data
// so two sealed values cannot be swapped): the one-time credentials of a bundle, on a station and
// in a fleet. The data key itself is sealed with a passphrase (secret-box.ts).
import crypto from 'node:crypto';

/** nonce (12) ‖ tag (16) ‖ ciphertext */
export function sealWithKey(key: Buffer, plaintext: string, aad: string): Buffer {
  const iv = crypto.randomBytes(12);
  const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad));
  const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), data]);
}

export function openWithKey(key: Buffer, sealed: Buffer, aad: string): string {
  const decipher = crypto.createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
  decipher.setAAD(Buffer.from(aad));
  decipher.setAuthTag(sealed.subarray(12, 28));
  return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]).toString('utf8');
}
