// Whether a certificate was signed by another's key: the one check behind the preflight, the
// replies of EST and SCEP services, certificates recovered after a restore and the offline root's
// chain. From the certificate's framing, on the thread pool (signed-der.ts): the X.509 library
// re-encoded the whole certificate to check one, which cost more than issuing it (#18).
import crypto from 'node:crypto';
import type { x509 } from './crypto';
import { Recent } from './recent';
import { signatureVerifies, splitSigned } from './signed-der';

const remembered = new Recent<boolean>(64);
const issuerKeys = new Recent<crypto.KeyObject>(16);

/**
 * `remember`: keep the answer for this pair (a CA certificate checked for every certificate of a
 * run); a leaf is new each time and not worth keeping.
 */
export async function signedBy(
  child: x509.X509Certificate,
  parent: x509.X509Certificate,
  options: { remember?: boolean } = {},
): Promise<boolean> {
  const pair = options.remember ? `${digestOf(child)}:${digestOf(parent)}` : undefined;
  const known = pair === undefined ? undefined : remembered.get(pair);
  if (known !== undefined) return known;
  let answer = false;
  try {
    const parts = splitSigned(new Uint8Array(child.rawData));
    answer = parts ? ((await signatureVerifies(parts, issuerKey(parent))) ?? viaOpenSsl(child, parent)) : false;
  } catch {
    answer = false;
  }
  if (pair !== undefined) remembered.keep(pair, answer);
  return answer;
}

/** Algorithms the framing check does not know (RSA-PSS): Node's own X.509 check. */
function viaOpenSsl(child: x509.X509Certificate, parent: x509.X509Certificate): boolean {
  return new crypto.X509Certificate(new Uint8Array(child.rawData)).verify(issuerKey(parent));
}

function issuerKey(issuer: x509.X509Certificate): crypto.KeyObject {
  const key = digestOf(issuer);
  let made = issuerKeys.get(key);
  if (!made) {
    made = crypto.createPublicKey({ key: Buffer.from(issuer.publicKey.rawData), format: 'der', type: 'spki' });
    issuerKeys.keep(key, made);
  }
  return made;
}

function digestOf(certificate: x509.X509Certificate): string {
  return crypto.createHash('sha256').update(new Uint8Array(certificate.rawData)).digest('base64');
}
