// A signed ASN.1 structure — a CSR or a certificate: SEQUENCE { to-be-signed, algorithm, BIT STRING
// signature } — split by its framing alone and its signature checked on Node's thread pool. The CSR
// intake proves a device's key with it; the preflight checks each certificate of a chain with it.
// Framing and OpenSSL only: the ASN.1 library would re-encode the structure to check it (#18).
import crypto from 'node:crypto';
import { childrenOf, DER_BIT_STRING, DER_OID, DER_SEQUENCE, oidTextOf, readTlv, type Tlv } from './der';

export interface SignedParts {
  /** The to-be-signed bytes (certificationRequestInfo, tbsCertificate). */
  readonly info: Uint8Array;
  readonly algorithmOid: Uint8Array;
  readonly algorithmOidText: string;
  readonly hasParameters: boolean;
  /** The BIT STRING, whole (tag, length, unused-bits octet, signature). */
  readonly signature: Uint8Array;
}

/** The hash each accepted signature algorithm uses; null: the algorithm has its own (Ed25519). */
export const SIGNATURE_HASHES: Readonly<Record<string, string | null>> = {
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.3.101.112': null, // Ed25519
  '2.16.840.1.101.3.4.3.2': 'sha256', // dsa-with-sha256
};

export function splitSigned(der: Uint8Array): SignedParts | undefined {
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
  const oidText = oidTextOf(oidBytes);
  if (oidText === undefined) return undefined;
  return {
    info: der.slice(info.start, info.end),
    algorithmOid: Uint8Array.from(oidBytes),
    algorithmOidText: oidText,
    hasParameters: algorithmParts!.length > 1,
    signature: der.slice(signature.start, signature.end),
  };
}

/**
 * Whether `key` made the signature; undefined when the algorithm is not one the station checks
 * (SIGNATURE_HASHES). On the thread pool: a bulk run's main thread goes on meanwhile.
 */
export async function signatureVerifies(parts: SignedParts, key: crypto.KeyObject): Promise<boolean | undefined> {
  const hash = SIGNATURE_HASHES[parts.algorithmOidText];
  if (hash === undefined) return undefined;
  const signature = signatureBits(parts);
  if (!signature) return false;
  return new Promise<boolean>((resolve) => {
    try {
      crypto.verify(hash, parts.info, { key, dsaEncoding: 'der' }, signature, (error, ok) => resolve(!error && ok));
    } catch {
      resolve(false);
    }
  });
}

/** The signature's octets out of its BIT STRING; undefined when it claims unused bits (a signature has none). */
export function signatureBits(parts: SignedParts): Uint8Array | undefined {
  const bits = readTlv(parts.signature, 0);
  if (!bits || parts.signature[bits.contentStart] !== 0) return undefined;
  return parts.signature.subarray(bits.contentStart + 1, bits.end);
}
