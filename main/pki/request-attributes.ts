// A CSR's attributes (PKCS#10's [0] set, RFC 2986 §4.1) read by DER framing alone: the
// challengePassword (PKCS#9) and the extensions it asks for (extensionRequest), each handed on whole
// for the intake to judge. Every nRF91 request asks for a keyUsage (nrf91-at.md); read through the
// ASN.1 libraries' object trees, that took a cold station about a millisecond per request, once for
// each of sixteen devices at the same moment (#18). The framing was checked by scanDer already.
import {
  childrenOf,
  DER_BIT_STRING,
  DER_BOOLEAN,
  DER_OCTET_STRING,
  DER_OID,
  DER_SEQUENCE,
  DER_SET,
  oidTextOf,
  readTlv,
  stringValueOf,
  type Tlv,
} from './der';

const CHALLENGE_PASSWORD = '1.2.840.113549.1.9.7';
const EXTENSION_REQUEST = '1.2.840.113549.1.9.14';

/** One extension a request asks for: `der` is the whole Extension, `value` its extnValue's contents. */
export interface RequestedExtension {
  readonly type: string;
  readonly critical: boolean;
  readonly der: Uint8Array;
  readonly value: Uint8Array;
}

export interface RequestAttributes {
  readonly challengePassword: string | undefined;
  readonly extensions: RequestedExtension[];
}

/** The attributes set (tag [0] included); undefined when an attribute is not of the shape PKCS#10 gives it. */
export function readRequestAttributes(der: Uint8Array): RequestAttributes | undefined {
  const set = readTlv(der, 0);
  const attributes = set && childrenOf(der, set);
  if (!attributes) return undefined;
  let challengePassword: string | undefined;
  const extensions: RequestedExtension[] = [];
  for (const attribute of attributes) {
    const [oid, values] = (attribute.tag === DER_SEQUENCE && childrenOf(der, attribute)) || [];
    const listed = values?.tag === DER_SET ? childrenOf(der, values) : undefined;
    if (oid?.tag !== DER_OID || !listed) return undefined;
    const first = listed[0];
    const type = oidTextOf(der.subarray(oid.start, oid.end));
    // A challengePassword is a DirectoryString (PKCS#9); another kind reads as none.
    if (type === CHALLENGE_PASSWORD && first) challengePassword = stringValueOf(der, first);
    if (type === EXTENSION_REQUEST && first) {
      const requested = extensionsIn(der, first);
      if (!requested) return undefined;
      extensions.push(...requested);
    }
  }
  return { challengePassword, extensions };
}

/** Extensions ::= SEQUENCE OF SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING } */
function extensionsIn(der: Uint8Array, sequence: Tlv): RequestedExtension[] | undefined {
  const listed = sequence.tag === DER_SEQUENCE ? childrenOf(der, sequence) : undefined;
  if (!listed) return undefined;
  const extensions: RequestedExtension[] = [];
  for (const extension of listed) {
    const fields = extension.tag === DER_SEQUENCE ? childrenOf(der, extension) : undefined;
    if (!fields || fields.length < 2 || fields.length > 3) return undefined;
    const [oid, flag, value] = fields.length === 2 ? [fields[0], undefined, fields[1]] : fields;
    if (oid?.tag !== DER_OID || value?.tag !== DER_OCTET_STRING || (flag && flag.tag !== DER_BOOLEAN)) return undefined;
    const type = oidTextOf(der.subarray(oid.start, oid.end));
    if (type === undefined) return undefined;
    extensions.push({
      type,
      critical: flag !== undefined && der[flag.contentStart] !== 0,
      der: der.slice(extension.start, extension.end),
      value: der.subarray(value.contentStart, value.end),
    });
  }
  return extensions;
}

/** basicConstraints' value: whether it asks for cA TRUE. Undefined when it is not a BasicConstraints. */
export function asksForCa(value: Uint8Array): boolean | undefined {
  const sequence = readTlv(value, 0);
  if (sequence?.tag !== DER_SEQUENCE || sequence.end !== value.length) return undefined;
  const first = childrenOf(value, sequence)?.[0];
  return first?.tag === DER_BOOLEAN && value[first.contentStart] !== 0;
}

/** keyUsage's value: whether it asks for keyCertSign or cRLSign (bits 5 and 6). Undefined when not a BIT STRING. */
export function asksToSignCertificates(value: Uint8Array): boolean | undefined {
  const bits = readTlv(value, 0);
  if (bits?.tag !== DER_BIT_STRING || bits.end !== value.length || bits.end - bits.contentStart < 1) return undefined;
  const firstOctet = bits.end - bits.contentStart > 1 ? value[bits.contentStart + 1]! : 0;
  return (firstOctet & 0x06) !== 0;
}
