// A certificate goes out with the chain of the CA that signed it. A job may see two: its profile's
// service, and — for a birth certificate while that service is out of reach — the station CA.
// Writing the service's issuing CA after a station-issued leaf gives the device a chain no cloud
// can build (preflight names it CHAIN_BROKEN).
import { x509 } from '../../pki/crypto';
import { certificatesIn } from '../../pki/pem';

/** What `write` will put on the device: the leaf with the chain it hangs from. */
export interface PlannedChain {
  /** What goes into the device's certificate slot or file: the leaf first, then its issuers. */
  readonly chain: readonly x509.X509Certificate[];
  /** The whole issuing chain known for it (issuing CA first, root last): its roots are the anchors. */
  readonly issuers: readonly x509.X509Certificate[];
}

/** The leaf with the CAs of `chainPem` it hangs from (the root, self-signed, is an anchor, not sent). */
export function chainFrom(leaf: x509.X509Certificate, chainPem: string): PlannedChain {
  const issuers = certificatesIn(chainPem);
  return { chain: [leaf, ...issuers.filter((c) => c.subject !== c.issuer)], issuers };
}

/** The issuing chain (PEM, issuing CA first) among `chains` whose first CA signed `leaf`; else the first. */
export function issuingChainFor(leaf: x509.X509Certificate, chains: ReadonlyArray<string | undefined>): string {
  const known = chains.filter((c): c is string => Boolean(c));
  const named = known.filter((pem) => certificatesIn(pem)[0]?.subject === leaf.issuer);
  // One CA by that name is the signer; only two CAs sharing a name need their key identifiers read
  // (reading a certificate's extensions costs an ASN.1 round trip for one the station just made).
  const signer = named.length > 1 ? named.find((pem) => sameKeyId(leaf, certificatesIn(pem)[0]!)) : named[0];
  return signer ?? known[0] ?? '';
}

/** The same key where both say which (two CAs may share a name). */
function sameKeyId(leaf: x509.X509Certificate, ca: x509.X509Certificate): boolean {
  const authority = leaf.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId;
  const subject = ca.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
  return !authority || !subject || authority.toLowerCase() === subject.toLowerCase();
}
