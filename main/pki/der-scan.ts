// An iterative walk over DER framing, run before any real parser sees untrusted bytes: it
// refuses indefinite lengths, lengths past the end, trailing bytes and absurd nesting, so a
// hostile CSR cannot send a recursive parser into a stack overflow.

export type DerScanResult = { ok: true } | { ok: false; reason: string };

const CONSTRUCTED = 0x20;

export function scanDer(bytes: Uint8Array, maxDepth = 24): DerScanResult {
  // Stack of end offsets of the constructed values we are inside.
  const ends: number[] = [bytes.length];
  let offset = 0;
  if (bytes.length === 0) return { ok: false, reason: 'empty' };
  while (offset < bytes.length) {
    while (ends.length > 1 && offset === ends.at(-1)) ends.pop();
    if (offset >= bytes.length) break;
    const tag = bytes[offset]!;
    offset += 1;
    if ((tag & 0x1f) === 0x1f) return { ok: false, reason: 'multi-byte tags are not used in a CSR' };
    if (offset >= bytes.length) return { ok: false, reason: 'truncated' };
    let length = bytes[offset]!;
    offset += 1;
    if (length === 0x80) return { ok: false, reason: 'indefinite length (BER, not DER)' };
    if (length > 0x80) {
      const count = length & 0x7f;
      if (count > 4 || offset + count > bytes.length) return { ok: false, reason: 'bad length' };
      length = 0;
      for (let i = 0; i < count; i++) length = length * 256 + bytes[offset + i]!;
      offset += count;
    }
    const end = offset + length;
    if (end > ends.at(-1)!) return { ok: false, reason: 'a value runs past its container' };
    if (tag & CONSTRUCTED) {
      ends.push(end);
      if (ends.length - 1 > maxDepth) return { ok: false, reason: `nested deeper than ${maxDepth}` };
    } else {
      offset = end;
    }
    if (ends.length === 1 && offset !== bytes.length && !(tag & CONSTRUCTED))
      return { ok: false, reason: 'trailing bytes' };
  }
  // The top-level value must be exactly one TLV covering all bytes.
  return topLevelLength(bytes) === bytes.length
    ? { ok: true }
    : { ok: false, reason: 'trailing bytes after the request' };
}

function topLevelLength(bytes: Uint8Array): number {
  let length = bytes[1] ?? 0;
  let header = 2;
  if (length > 0x80) {
    const count = length & 0x7f;
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (bytes[2 + i] ?? 0);
    header += count;
  }
  return header + length;
}
