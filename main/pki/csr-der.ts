// Reading a PKCS#10 CSR as the device produced it. nRF91 modem firmware 1.3.7 and 2.0.2 encode
// the ECDSA signatureAlgorithm as SEQUENCE{OID, NULL}, which RFC 5758 §3.2 forbids and strict
// parsers reject (nrf91-at.md §4.2). The signature covers only certificationRequestInfo, so
// dropping the NULL is a byte-exact splice that cannot change what was signed.
import * as asn1js from 'asn1js';
import { childrenOf, DER_NULL, DER_SEQUENCE, derTlv, readTlv, type Tlv } from './der';

const DER_BIT_STRING = 0x03;
const DER_OID = 0x06;

const ECDSA_WITH_SHA = '1.2.840.10045.4.3.';

export interface CsrParts {
  readonly info: Uint8Array;
  readonly algorithmOid: Uint8Array;
  readonly algorithmOidText: string;
  readonly hasParameters: boolean;
  readonly signature: Uint8Array;
}

export function splitCsr(der: Uint8Array): CsrParts | undefined {
  // Framing only (no full parse): this runs on every request, several times, on the hot path.
  const outer = readTlv(der, 0);
  if (!outer || outer.tag !== DER_SEQUENCE || outer.end !== der.length) return undefined;
  const parts = childrenOf(der, outer);
  if (!parts || parts.length !== 3) return undefined;
  const [info, algorithm, signature] = parts as [Tlv, Tlv, Tlv];
  if (info.tag !== DER_SEQUENCE || algorithm.tag !== DER_SEQUENCE || signature.tag !== DER_BIT_STRING) return undefined;
  const algorithmParts = childrenOf(der, algorithm);
  const oid = algorithmParts?.[0];
  if (!oid || oid.tag !== DER_OID) return undefined;
  const oidBytes = der.subarray(oid.start, oid.end);
  const decoded = asn1js.fromBER(oidBytes).result;
  if (!(decoded instanceof asn1js.ObjectIdentifier)) return undefined;
  return {
    info: der.slice(info.start, info.end),
    algorithmOid: Uint8Array.from(oidBytes),
    algorithmOidText: decoded.valueBlock.toString(),
    hasParameters: algorithmParts!.length > 1,
    signature: der.slice(signature.start, signature.end),
  };
}

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
