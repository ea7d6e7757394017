// Minimal DER framing helpers for byte-exact surgery where re-encoding would be unsafe, and for
// reading the few fields a hot path needs without the ASN.1 libraries' object trees (#18).
import * as asn1js from 'asn1js';
import { keyOfBytes } from './recent';

/** How many octets a DER long-form length takes (0 for the short form, under 128). */
function longLengthOctets(length: number): number {
  if (length < 0x80) return 0;
  let octets = 0;
  for (let n = length; n > 0; n = Math.floor(n / 256)) octets++;
  return octets;
}

/** Writes a DER length at `offset`; returns the offset just past it. */
function writeLength(out: Uint8Array, offset: number, length: number, octets: number): number {
  if (octets === 0) {
    out[offset] = length;
    return offset + 1;
  }
  out[offset] = 0x80 | octets;
  for (let i = octets, n = length; i >= 1; i--, n = Math.floor(n / 256)) out[offset + i] = n & 0xff;
  return offset + 1 + octets;
}

export function derLength(length: number): Uint8Array {
  const octets = longLengthOctets(length);
  const out = new Uint8Array(1 + octets);
  writeLength(out, 0, length, octets);
  return out;
}

/**
 * One TLV framing its contents, in one allocation (a certificate is a dozen of these, signed by
 * the thousand in a bulk run: no spread, no intermediate header array).
 */
export function derTlv(tag: number, ...contents: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const c of contents) length += c.length;
  const octets = longLengthOctets(length);
  const out = new Uint8Array(2 + octets + length);
  out[0] = tag;
  let offset = writeLength(out, 1, length, octets);
  for (const c of contents) {
    out.set(c, offset);
    offset += c.length;
  }
  return out;
}

/** The universal tags the framing readers and writers meet (X.680 §8; SEQUENCE and SET with the constructed bit). */
export const DER_BOOLEAN = 0x01;
export const DER_INTEGER = 0x02;
export const DER_BIT_STRING = 0x03;
export const DER_OCTET_STRING = 0x04;
export const DER_OID = 0x06;
export const DER_SEQUENCE = 0x30;
export const DER_SET = 0x31;
export const DER_NULL = Uint8Array.of(0x05, 0x00);

/** The string types names and PKCS#9 attributes are written in (X.680 §41; X.520's DirectoryString). */
export const DER_UTF8_STRING = 0x0c;
export const DER_PRINTABLE_STRING = 0x13;
export const DER_TELETEX_STRING = 0x14;
export const DER_IA5_STRING = 0x16;
export const DER_BMP_STRING = 0x1e;

export interface Tlv {
  readonly tag: number;
  /** Offset of the tag byte. */
  readonly start: number;
  readonly contentStart: number;
  /** Offset just past the content. */
  readonly end: number;
}

/**
 * One TLV header read without parsing its content: definite lengths only (DER), at most 4 length
 * octets, single-byte tags. Returns undefined when the bytes do not frame a TLV within `limit`.
 */
export function readTlv(bytes: Uint8Array, offset: number, limit = bytes.length): Tlv | undefined {
  if (offset + 2 > limit) return undefined;
  const tag = bytes[offset]!;
  if ((tag & 0x1f) === 0x1f) return undefined;
  let length = bytes[offset + 1]!;
  let contentStart = offset + 2;
  if (length & 0x80) {
    const octets = length & 0x7f;
    if (octets === 0 || octets > 4 || contentStart + octets > limit) return undefined;
    length = 0;
    for (let i = 0; i < octets; i++) length = length * 256 + bytes[contentStart + i]!;
    contentStart += octets;
  }
  const end = contentStart + length;
  return end > limit ? undefined : { tag, start: offset, contentStart, end };
}

/** The TLVs directly inside a constructed one, or undefined if they do not fill it exactly. */
export function childrenOf(bytes: Uint8Array, parent: Tlv): Tlv[] | undefined {
  const children: Tlv[] = [];
  for (let at = parent.contentStart; at < parent.end;) {
    const child = readTlv(bytes, at, parent.end);
    if (!child) return undefined;
    children.push(child);
    at = child.end;
  }
  return children;
}

/** The characters a PrintableString may hold (X.680 §41.4): where a writer can choose it over UTF8String. */
const PRINTABLE_CHARACTERS = /^[A-Za-z0-9 '()+,./:=?-]*$/;

export function isPrintableString(value: string): boolean {
  return PRINTABLE_CHARACTERS.test(value);
}

/**
 * The text of a string TLV of one of the DirectoryString types (and IA5String); undefined for any
 * other tag, or a BMPString of an odd length. TeletexString is read as Latin-1, as most writers mean it.
 */
export function stringValueOf(bytes: Uint8Array, value: Tlv): string | undefined {
  const contents = Buffer.from(bytes.buffer, bytes.byteOffset + value.contentStart, value.end - value.contentStart);
  switch (value.tag) {
    case DER_UTF8_STRING:
      return contents.toString('utf8');
    case DER_PRINTABLE_STRING:
    case DER_TELETEX_STRING:
    case DER_IA5_STRING:
      return contents.toString('latin1');
    case DER_BMP_STRING: // UTF-16 big-endian
      return contents.length % 2 === 0 ? Buffer.from(contents).swap16().toString('utf16le') : undefined;
  }
  return undefined;
}

/** A handful of OIDs name everything a station reads on its hot paths: each is decoded once. */
const oidTexts = new Map<string, string | undefined>();

/** An OBJECT IDENTIFIER's TLV (tag, length, contents) as dotted text; undefined if it is not one. */
export function oidTextOf(oidBytes: Uint8Array): string | undefined {
  const key = keyOfBytes(oidBytes);
  if (oidTexts.has(key)) return oidTexts.get(key);
  const decoded = asn1js.fromBER(oidBytes).result;
  const text = decoded instanceof asn1js.ObjectIdentifier ? decoded.valueBlock.toString() : undefined;
  if (oidTexts.size < 256) oidTexts.set(key, text);
  return text;
}
