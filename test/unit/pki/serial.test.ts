// Serials: 1,000,000 draws — no repeats, all positive, within 20 octets, and the top bit really
// random (about half need the 0x00 pad).
import { describe, expect, it } from 'vitest';
import { randomSerial, serialOctets } from '../../../main/pki/authority/serial';

describe('certificate serials', () => {
  it('1,000,000 draws: 0 duplicates, positive, ≤ 20 octets, ~half padded', () => {
    const seen = new Set<string>();
    let padded = 0;
    let maxOctets = 0;
    let negative = 0;
    const draws = 1_000_000;
    for (let i = 0; i < draws; i++) {
      const serial = randomSerial(); // the default source: 4 KB CSPRNG draws, each byte handed out once
      seen.add(serial);
      const octets = serialOctets(serial);
      if (octets[0] === 0) padded++;
      if (octets[0]! & 0x80) negative++; // would read as a negative DER INTEGER
      maxOctets = Math.max(maxOctets, octets.length);
    }
    expect(seen.size).toBe(draws);
    expect(negative).toBe(0);
    expect(maxOctets).toBeLessThanOrEqual(20);
    expect(maxOctets).toBe(17);
    // The pad goes on when the first non-zero octet has its top bit set: P = 1/2 + 1/512 (a zero
    // first octet, 1 in 256, is dropped and the next one decides). Binomial 5 sigma is ±2,500.
    expect(Math.abs(padded - draws * (0.5 + 1 / 512))).toBeLessThan(2_500);
  });

  it('never returns zero, even from a source of zeros', () => {
    let calls = 0;
    const serial = randomSerial((n) => (calls++ === 0 ? new Uint8Array(n) : Uint8Array.from({ length: n }, () => 7)));
    expect(serial).toBe('07'.repeat(16));
  });
});
