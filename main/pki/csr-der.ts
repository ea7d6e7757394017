// Reading a PKCS#10 CSR as the device produced it. nRF91 modem firmware 1.3.7 and 2.0.2 encode
// the ECDSA signatureAlgorithm as SEQUENCE{OID, NULL}, which RFC 5758 §3.2 forbids and strict
// parsers reject (nrf91-at.md §4.2). The signature covers only certificationRequestInfo, so
// dropping the NULL is a byte-exact splice that cannot change what was signed.
import { DER_NULL, DER_SEQUENCE, derTlv } from './der';
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
