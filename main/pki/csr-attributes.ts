// What an EST server asks a CSR to carry (/csrattrs, RFC 7030 §4.5.2): a SEQUENCE of items that
// are each an OID (a signature algorithm or a key type it wants, or an attribute the CSR should
// have) or an attribute with values (an EC key on a named curve, extensions to request).
import * as asn1js from 'asn1js';
import { EnrollerError } from '../../shared/errors';

export interface CsrAttributes {
  /** Bare OIDs: algorithms or attribute types the server wants. */
  readonly oids: readonly string[];
  /** Attributes with values: the OID of each value that is one (a curve), else its DER in hex. */
  readonly attributes: ReadonlyArray<{ readonly type: string; readonly values: readonly string[] }>;
}

export const OID_NAMES: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.9.7': 'challengePassword',
  '1.2.840.113549.1.9.14': 'extensionRequest',
  '1.2.840.10045.2.1': 'an EC key',
  '1.2.840.113549.1.1.1': 'an RSA key',
  '1.2.840.10045.3.1.7': 'P-256',
  '1.3.132.0.34': 'P-384',
  '1.3.132.0.35': 'P-521',
  '1.2.840.10045.4.3.2': 'ecdsa-with-SHA256',
  '1.2.840.10045.4.3.3': 'ecdsa-with-SHA384',
  '1.2.840.10045.4.3.4': 'ecdsa-with-SHA512',
  '1.2.840.113549.1.1.11': 'sha256WithRSAEncryption',
  '1.2.840.113549.1.1.12': 'sha384WithRSAEncryption',
  '1.2.840.113549.1.1.13': 'sha512WithRSAEncryption',
  '2.5.4.3': 'commonName',
  '2.5.4.5': 'serialNumber',
  '1.3.6.1.1.1.1.22': 'macAddress',
};

export function nameOf(oid: string): string {
  return OID_NAMES[oid] ?? oid;
}

/** An empty answer (204, 404, or zero bytes) asks for nothing. */
export function parseCsrAttributes(der: Uint8Array): CsrAttributes {
  if (der.length === 0) return { oids: [], attributes: [] };
  const parsed = asn1js.fromBER(der);
  if (parsed.offset === -1 || !(parsed.result instanceof asn1js.Sequence))
    throw new EnrollerError('ENROLL_BAD_RESPONSE', 'The EST server sent CSR attributes that cannot be read.');
  const oids: string[] = [];
  const attributes: Array<{ type: string; values: string[] }> = [];
  for (const item of parsed.result.valueBlock.value) {
    if (item instanceof asn1js.ObjectIdentifier) oids.push(item.valueBlock.toString());
    else if (item instanceof asn1js.Sequence) attributes.push(attributeOf(item));
    else throw new EnrollerError('ENROLL_BAD_RESPONSE', 'The EST server sent a CSR attribute of an unknown shape.');
  }
  return { oids, attributes };
}

function attributeOf(item: asn1js.Sequence): { type: string; values: string[] } {
  const [type, set] = item.valueBlock.value;
  if (!(type instanceof asn1js.ObjectIdentifier) || !(set instanceof asn1js.Set))
    throw new EnrollerError('ENROLL_BAD_RESPONSE', 'The EST server sent a CSR attribute that is not type and values.');
  const values = set.valueBlock.value.map((value) =>
    value instanceof asn1js.ObjectIdentifier ? value.valueBlock.toString() : Buffer.from(value.toBER()).toString('hex'),
  );
  return { type: type.valueBlock.toString(), values };
}

/** In words, for the connection test and the refusals. */
export function describeCsrAttributes(der: Uint8Array): string {
  const asked = parseCsrAttributes(der);
  const words = [
    ...asked.oids.map(nameOf),
    ...asked.attributes.map((a) => `${nameOf(a.type)} (${a.values.map(nameOf).join(', ')})`),
  ];
  return words.length === 0
    ? 'The server asks nothing in particular of a CSR.'
    : `The server asks CSRs for: ${words.join('; ')}.`;
}
