// X.501 names and X.509 validity read and written by DER framing alone: the CSR intake reads a
// subject and the station CA writes one for every certificate, and the ASN.1 libraries' object
// trees are most of what that cost (#18). Only the plain shape devices use is handled here — each
// RDN one attribute the station knows, each value a UTF8String, PrintableString or IA5String; for
// anything else the readers answer undefined and the caller takes the library's way, which then
// judges the name as before. What is written is byte for byte what @peculiar/x509's Name writes
// (name-der.test.ts holds the two side by side).
import * as asn1js from 'asn1js';
import {
  childrenOf,
  DER_IA5_STRING,
  DER_OID,
  DER_PRINTABLE_STRING,
  DER_SEQUENCE,
  DER_SET,
  DER_UTF8_STRING,
  derTlv,
  isPrintableString,
  readTlv,
  stringValueOf,
} from './der';
import { keyOfBytes } from './recent';
import { SUBJECT_ATTRIBUTE_OIDS } from './subject-attributes';

const UTC_TIME = 0x17;
const GENERALIZED_TIME = 0x18;

/** Each known attribute's OID, encoded once, and back. */
const OID_DER = new Map(
  Object.entries(SUBJECT_ATTRIBUTE_OIDS).map(([name, oid]) => [
    name,
    new Uint8Array(new asn1js.ObjectIdentifier({ value: oid }).toBER()),
  ]),
);
const NAME_OF_OID = new Map([...OID_DER].map(([name, der]) => [keyOfBytes(der), name]));

/** Values the library would read as quoted, escaped or hex (`#…`): left to the library. */
const LIBRARY_SYNTAX = /["\\]|^#/;

export type NameEntries = Array<readonly [attribute: string, value: string]>;

/** A Name's RDNs as [attribute, value] pairs, or undefined when it is not of the plain shape. */
export function nameEntriesOf(der: Uint8Array): NameEntries | undefined {
  const name = readTlv(der, 0);
  if (!name || name.tag !== DER_SEQUENCE || name.end !== der.length) return undefined;
  const entries: NameEntries = [];
  for (const rdn of childrenOf(der, name) ?? [undefined]) {
    const set = rdn?.tag === DER_SET ? childrenOf(der, rdn) : undefined;
    const pair = set?.length === 1 && set[0]!.tag === DER_SEQUENCE ? childrenOf(der, set[0]!) : undefined;
    if (!pair || pair.length !== 2 || pair[0]!.tag !== DER_OID) return undefined;
    const [oid, value] = pair as [NonNullable<typeof rdn>, NonNullable<typeof rdn>];
    const attribute = NAME_OF_OID.get(keyOfBytes(der.subarray(oid.start, oid.end)));
    if (!attribute || ![DER_UTF8_STRING, DER_PRINTABLE_STRING, DER_IA5_STRING].includes(value.tag)) return undefined;
    entries.push([attribute, stringValueOf(der, value)!]);
  }
  return entries;
}

/** A Name in DER as the X.509 library writes it, or undefined where it must write it itself. */
export function nameDer(entries: ReadonlyArray<readonly [string, string]>): Uint8Array | undefined {
  const rdns: Uint8Array[] = [];
  for (const [attribute, value] of entries) {
    const oid = OID_DER.get(attribute);
    if (!oid || LIBRARY_SYNTAX.test(value)) return undefined;
    // As @peculiar/x509 tells a PrintableString from a UTF8String.
    const tag =
      attribute === 'E' || attribute === 'DC'
        ? DER_IA5_STRING
        : isPrintableString(value)
          ? DER_PRINTABLE_STRING
          : DER_UTF8_STRING;
    rdns.push(derTlv(DER_SET, derTlv(DER_SEQUENCE, oid, derTlv(tag, Buffer.from(value, 'utf8')))));
  }
  return derTlv(DER_SEQUENCE, ...rdns);
}

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050; seconds, always Zulu. */
export function validityDer(notBefore: Date, notAfter: Date): Uint8Array {
  return derTlv(DER_SEQUENCE, timeDer(notBefore), timeDer(notAfter));
}

function timeDer(date: Date): Uint8Array {
  // YYYY-MM-DDTHH:MM:SS.sssZ → YYYYMMDDHHMMSSZ
  const iso = date.toISOString();
  const day = iso.slice(0, 4) + iso.slice(5, 7) + iso.slice(8, 10);
  const digits = `${day}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  const year = date.getUTCFullYear();
  return year >= 1950 && year < 2050
    ? derTlv(UTC_TIME, Buffer.from(digits.slice(2), 'latin1'))
    : derTlv(GENERALIZED_TIME, Buffer.from(digits, 'latin1'));
}
