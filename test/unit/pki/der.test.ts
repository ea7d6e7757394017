// DER framing by hand (pki/der.ts) against asn1js, an independent encoder: every length form,
// including the boundaries where the short form ends and the long form gains an octet.
import * as asn1js from 'asn1js';
import { describe, expect, it } from 'vitest';
import { derLength, derTlv, readTlv } from '../../../main/pki/der';

const LENGTHS = [0, 1, 127, 128, 255, 256, 65_535, 65_536, 1_000_000];

describe('DER framing', () => {
  it.each(LENGTHS)('an OCTET STRING of %i bytes frames as asn1js encodes it', (length) => {
    const content = new Uint8Array(length).map((_, i) => i * 7);
    const expected = new Uint8Array(new asn1js.OctetString({ valueHex: content }).toBER());
    expect(Buffer.from(derTlv(0x04, content)).equals(Buffer.from(expected))).toBe(true);
    const header = expected.length - length;
    expect(Buffer.from(derLength(length)).equals(Buffer.from(expected.subarray(1, header)))).toBe(true);
  });

  it('frames several contents in order and reads back as one TLV', () => {
    const a = Uint8Array.of(0x02, 0x01, 0x05);
    const b = new Uint8Array(new asn1js.Utf8String({ value: 'x'.repeat(200) }).toBER());
    const framed = derTlv(0x30, a, b);
    const expected = new asn1js.Sequence({
      value: [new asn1js.Integer({ value: 5 }), new asn1js.Utf8String({ value: 'x'.repeat(200) })],
    });
    expect(Buffer.from(framed).equals(Buffer.from(expected.toBER()))).toBe(true);
    expect(readTlv(framed, 0)).toEqual({ tag: 0x30, start: 0, contentStart: 3, end: framed.length });
  });
});
