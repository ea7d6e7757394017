// Reading a PKCS#10 CSR as the device produced it. nRF91 modem firmware 1.3.7 and 2.0.2 encode
// the ECDSA signatureAlgorithm as SEQUENCE{OID, NULL}, which RFC 5758 §3.2 forbids and strict
// parsers reject (nrf91-at.md §4.2). The signature covers only certificationRequestInfo, so
// dropping the NULL is a byte-exact splice that cannot change what was signed.
import * as asn1js from 'asn1js';
import { DER_NULL, DER_SEQUENCE, derTlv } from './der';

const ECDSA_WITH_SHA = '1.2.840.10045.4.3.';

export interface CsrParts {
  readonly info: Uint8Array;
  readonly algorithmOid: Uint8Array;
  readonly algorithmOidText: string;
  readonly hasParameters: boolean;
  readonly signature: Uint8Array;
}

export function splitCsr(der: Uint8Array): CsrParts | undefined {
  const parsed = asn1js.fromBER(der);
  if (parsed.offset === -1 || parsed.offset !== der.length) return undefined;
  const outer = parsed.result;
  if (!(outer instanceof asn1js.Sequence) || outer.valueBlock.value.length !== 3) return undefined;
  const [info, algorithm, signature] = outer.valueBlock.value as [asn1js.AsnType, asn1js.AsnType, asn1js.AsnType];
  if (!(algorithm instanceof asn1js.Sequence)) return undefined;
  const [oid, ...params] = algorithm.valueBlock.value;
  if (!(oid instanceof asn1js.ObjectIdentifier)) return undefined;
  return {
    info: new Uint8Array(info.valueBeforeDecodeView),
    algorithmOid: new Uint8Array(oid.valueBeforeDecodeView),
    algorithmOidText: oid.valueBlock.toString(),
    hasParameters: params.length > 0,
    signature: new Uint8Array(signature.valueBeforeDecodeView),
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
