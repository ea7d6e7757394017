// Reading a PKCS#10 CSR as the device produced it. nRF91 modem firmware 1.3.7 and 2.0.2 encode
// the ECDSA signatureAlgorithm as SEQUENCE{OID, NULL}, which RFC 5758 §3.2 forbids and strict
// parsers reject (nrf91-at.md §4.2). The signature covers only certificationRequestInfo, so
// dropping the NULL is a byte-exact splice that cannot change what was signed.
import { childrenOf, DER_NULL, DER_SEQUENCE, derTlv, readTlv, type Tlv } from './der';
import { splitSigned, type SignedParts } from './signed-der';

const ECDSA_WITH_SHA = '1.2.840.10045.4.3.';

/** A CSR's parts, by framing only (no full parse): this runs on every request, on the hot path. */
export type CsrParts = SignedParts;
export const splitCsr = splitSigned;

/** Drops a NULL from an ECDSA signatureAlgorithm; any other input comes back unchanged. */
export function normalizeCsrDer(der: Uint8Array): Uint8Array {
  const parts = splitCsr(der);
  if (!parts || !parts.hasParameters || !parts.algorithmOidText.startsWith(ECDSA_WITH_SHA)) return der;
  return derTlv(DER_SEQUENCE, parts.info, derTlv(DER_SEQUENCE, parts.algorithmOid), parts.signature);
}

/** The quirk itself, for the simulator: what current modem firmware emits. */
export function addNullToEcdsaAlgorithm(der: Uint8Array): Uint8Array {
  const parts = splitCsr(der);
  if (!parts || parts.hasParameters || !parts.algorithmOidText.startsWith(ECDSA_WITH_SHA)) return der;
  return derTlv(DER_SEQUENCE, parts.info, derTlv(DER_SEQUENCE, parts.algorithmOid, DER_NULL), parts.signature);
}

/**
 * certificationRequestInfo by its framing: version 0, subject, key, and the attributes (PKCS#10
 * requires the [0] set; a request without it is taken as having none).
 */
export function readRequestInfo(
  der: Uint8Array,
): { subject: Uint8Array; spki: Uint8Array; attributes: Uint8Array | undefined } | undefined {
  const outer = readTlv(der, 0);
  const fields = outer?.tag === DER_SEQUENCE ? childrenOf(der, outer) : undefined;
  if (!fields || fields.length < 3 || fields.length > 4) return undefined;
  const [version, subject, spki, attributes] = fields as [Tlv, Tlv, Tlv, Tlv | undefined];
  const versionZero =
    version.tag === 0x02 && version.end - version.contentStart === 1 && der[version.contentStart] === 0;
  if (!versionZero || subject.tag !== DER_SEQUENCE || spki.tag !== DER_SEQUENCE) return undefined;
  if (attributes && attributes.tag !== ATTRIBUTES_TAG) return undefined;
  return {
    subject: der.subarray(subject.start, subject.end),
    spki: der.slice(spki.start, spki.end),
    // An empty set has nothing to check: no parser needed.
    attributes:
      attributes && attributes.end > attributes.contentStart
        ? der.subarray(attributes.start, attributes.end)
        : undefined,
  };
}

const ATTRIBUTES_TAG = 0xa0;
