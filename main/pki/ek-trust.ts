// Is this TPM a real one from a maker we trust? Its EK certificate must be signed by one of the
// certificates the device type lists (TPM makers publish their EK roots and intermediates; EK
// certificates carry no chain, and a station on the line cannot fetch one). EK certificates carry
// critical TCG extensions a web-PKI validator refuses, so the checks are the ones key-origin
// evidence needs: the signature, the issuer being a CA, and both inside their validity.
import { EnrollerError } from '../../shared/errors';
import { x509 } from './crypto';
import { pemCertificateBlocks } from './pem';
import { signedBy } from './signed-by';

/** Resolves with the subjects from the EK certificate to the trusted certificate that signed it. */
export async function verifyEkCertificate(
  ekDer: Uint8Array,
  trustPem: readonly string[],
  now = new Date(),
): Promise<string[]> {
  const anchors = trustPem.flatMap((pem) => pemCertificateBlocks(pem)).map((pem) => new x509.X509Certificate(pem));
  const ek = new x509.X509Certificate(ekDer.slice());
  const valid = (c: x509.X509Certificate) => c.notBefore <= now && now <= c.notAfter;
  if (!valid(ek)) throw untrusted(ek, 'is outside its validity');
  for (const anchor of anchors) {
    if (
      anchor.subject !== ek.issuer ||
      anchor.getExtension(x509.BasicConstraintsExtension)?.ca !== true ||
      !valid(anchor)
    )
      continue;
    if (await signedBy(ek, anchor)) return [ek.subject, anchor.subject];
  }
  throw untrusted(ek, 'is not signed by a maker this device type trusts');
}

function untrusted(ek: x509.X509Certificate, why: string): EnrollerError {
  return new EnrollerError(
    'TPM_EK_UNTRUSTED',
    `The TPM's endorsement key certificate (issued by ${ek.issuer}) ${why}. Nothing was made or written on it.`,
    { issuer: ek.issuer },
  );
}
