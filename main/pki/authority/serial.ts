// Certificate serial numbers: 128 bits from the CSPRNG (CA/B Forum BR §7.1 asks for ≥ 64),
// written as the certificate carries them: a positive DER INTEGER, so a value whose top bit is
// set gets a 0x00 pad (17 octets, well under RFC 5280's 20). The ledger's UNIQUE constraint
// catches the astronomically unlikely repeat, and the caller simply draws again.
import crypto from 'node:crypto';

export type RandomSource = (bytes: number) => Uint8Array;

export const SERIAL_BYTES = 16;

/** Canonical hex of a serial as the certificate shows it (no leading zero octets, no pad). */
export function randomSerial(random: RandomSource = (n) => crypto.randomBytes(n)): string {
  const bytes = random(SERIAL_BYTES);
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const hex = Buffer.from(bytes.subarray(start)).toString('hex');
  return hex === '00' ? randomSerial(random) : hex;
}

/** The DER INTEGER content octets for a canonical serial (with the 0x00 pad when needed). */
export function serialOctets(serialHex: string): Uint8Array {
  const bytes = Buffer.from(serialHex, 'hex');
  return bytes[0]! & 0x80 ? Uint8Array.from([0, ...bytes]) : new Uint8Array(bytes);
}
