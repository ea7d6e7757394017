// The SubjectPublicKeyInfo a CSR or a certificate carries, as its exact DER bytes, read from the
// framing alone. Comparing keys is how the pipeline proves a certificate belongs to the device's
// key (at every step, for every device); the X.509 library parses the whole structure and then
// serializes the key again to answer the same question, which was a millisecond per certificate
// in a bulk run (#18). The framing is the one the library parsed when the DER came in.
import { childrenOf, readTlv } from './der';

const EXPLICIT_VERSION = 0xa0;

/** PKCS#10: CertificationRequest { info { version, subject, subjectPKInfo, … }, … }. */
export function csrPublicKey(der: Uint8Array): Uint8Array {
  return fieldOfFirst(der, 2, 'certificate request');
}

/**
 * X.509: Certificate { tbsCertificate { [0] version, serial, signature, issuer, validity, subject, spki, … },
 * … }.
 */
export function certificatePublicKey(der: Uint8Array | ArrayBuffer): Uint8Array {
  const bytes = der instanceof Uint8Array ? der : new Uint8Array(der);
  const outer = readTlv(bytes, 0);
  const tbs = outer && childrenOf(bytes, outer)?.[0];
  const hasVersion = tbs !== undefined && bytes[tbs.contentStart] === EXPLICIT_VERSION;
  return fieldOfFirst(bytes, hasVersion ? 6 : 5, 'certificate');
}

/** Do two public keys (SubjectPublicKeyInfo DER) say the same key? */
export function sameKey(a: Uint8Array | ArrayBuffer, b: Uint8Array | ArrayBuffer): boolean {
  return Buffer.from(a instanceof Uint8Array ? a : new Uint8Array(a)).equals(
    b instanceof Uint8Array ? b : new Uint8Array(b),
  );
}

/** The `index`th field of the first SEQUENCE inside the outer one. */
function fieldOfFirst(der: Uint8Array, index: number, what: string): Uint8Array {
  const outer = readTlv(der, 0);
  const first = outer && childrenOf(der, outer)?.[0];
  const field = first && childrenOf(der, first)?.[index];
  if (!field || outer.end !== der.length) throw new TypeError(`This is not a DER ${what}.`);
  return der.slice(field.start, field.end);
}
