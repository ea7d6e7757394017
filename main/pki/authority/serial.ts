// Certificate serial numbers: 128 bits from the CSPRNG (CA/B Forum BR §7.1 asks for ≥ 64),
// written as the certificate carries them: a positive DER INTEGER, so a value whose top bit is
// set gets a 0x00 pad (17 octets, well under RFC 5280's 20). The ledger's UNIQUE constraint
// catches the astronomically unlikely repeat, and the caller simply draws again.
import crypto from 'node:crypto';

export type RandomSource = (bytes: number) => Uint8Array;

export const SERIAL_BYTES = 16;

/**
 * CSPRNG bytes drawn 4 KB at a time and handed out once each, in order: a bulk run draws a serial
 * per certificate, and one `randomBytes` call per serial cost more than the rest of its framing.
 */
const pooledRandom: RandomSource = (() => {
  let pool = Buffer.alloc(0);
  let next = 0;
  return (bytes) => {
    if (next + bytes > pool.length) {
      pool = crypto.randomBytes(Math.max(4096, bytes));
      next = 0;
    }
    return pool.subarray(next, (next += bytes));
  };
})();

/** Canonical hex of a serial as the certificate shows it (no leading zero octets, no pad). */
export function randomSerial(random: RandomSource = pooledRandom): string {
  const bytes = random(SERIAL_BYTES);
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const hex = Buffer.from(bytes.buffer, bytes.byteOffset + start, bytes.length - start).toString('hex');
  return hex === '00' ? randomSerial(random) : hex;
}

/** The DER INTEGER content octets for a canonical serial (with the 0x00 pad when needed). */
export function serialOctets(serialHex: string): Uint8Array {
  const bytes = Buffer.from(serialHex, 'hex');
  if (!(bytes[0]! & 0x80)) return new Uint8Array(bytes);
  const padded = new Uint8Array(bytes.length + 1);
  padded.set(bytes, 1);
  return padded;
}
