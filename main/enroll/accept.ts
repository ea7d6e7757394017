// Nothing the service returns is trusted as is: the certificate must carry the very key the
// device generated, and chain by signature to a CA this profile pins. A wrong one is never
// written to a device.
import { EnrollerError } from '../../shared/errors';
import { x509 } from '../pki/crypto';
import { certificatePublicKey, sameKey } from '../pki/public-key-of';
import { signedBy } from '../pki/signed-by';

export async function acceptIssued(
  certificate: x509.X509Certificate,
  chain: readonly x509.X509Certificate[],
  csrPublicKeySpki: Uint8Array,
  trustedCas: readonly x509.X509Certificate[],
): Promise<void> {
  if (!sameKey(certificatePublicKey(certificate.rawData), csrPublicKeySpki)) {
    throw new EnrollerError(
      'ENROLL_WRONG_KEY',
      "The service returned a certificate for a different key than the device's request. It will not be written.",
    );
  }
  if (await chainsToAnchor(certificate, [...chain, ...trustedCas], trustedCas)) return;
  throw new EnrollerError(
    'ENROLL_UNTRUSTED_ISSUER',
    `The returned certificate does not chain to a CA this profile trusts (issuer "${certificate.issuer}"). It will ` +
      `not be written.`,
  );
}

/** Up the chain by issuer name and signature (at most 8 links) until one of `anchors` signed it. */
export async function chainsToAnchor(
  certificate: x509.X509Certificate,
  candidates: readonly x509.X509Certificate[],
  anchors: readonly x509.X509Certificate[],
): Promise<boolean> {
  let current = certificate;
  for (let depth = 0; depth < 8; depth++) {
    const anchor = anchors.find((a) => a.subject === current.issuer);
    if (anchor && (await signedBy(current, anchor))) return true;
    const parent = candidates.find((c) => c.subject === current.issuer && c !== current);
    if (!parent || !(await signedBy(current, parent))) return false;
    current = parent;
  }
  return false;
}

/**
 * Picks the device's certificate out of whatever a service returned (the one with the CSR's key,
 * else the first) and accepts it; the rest is the chain.
 */
export async function acceptFromReply(
  certificates: readonly x509.X509Certificate[],
  csrPublicKeySpki: Uint8Array,
  trustedCas: readonly x509.X509Certificate[],
): Promise<{ status: 'issued'; certificate: x509.X509Certificate; chain: x509.X509Certificate[] }> {
  const leaf = certificates.find((c) => sameKey(certificatePublicKey(c.rawData), csrPublicKeySpki)) ?? certificates[0];
  if (!leaf) throw new EnrollerError('ENROLL_BAD_RESPONSE', 'The service answered without a certificate.');
  const chain = certificates.filter((c) => c !== leaf);
  await acceptIssued(leaf, chain, csrPublicKeySpki, trustedCas);
  return { status: 'issued', certificate: leaf, chain };
}
