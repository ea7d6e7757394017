// A CSR as the station trusts it: parsed, quirk-normalised, and its proof of possession checked.
import { EnrollerError } from '../../shared/errors';
import { x509 } from './crypto';
import { normalizeCsrDer } from './csr-der';
import { signatureVerifies, splitSigned } from './signed-der';
import { publicKeyFromSpki } from './spki-key';

export interface VerifiedCsr {
  /** DER as the station stores and forwards it (normalised). */
  readonly der: Uint8Array;
  readonly request: x509.Pkcs10CertificateRequest;
  readonly subject: string;
  /** SubjectPublicKeyInfo DER: the key the certificate must carry. */
  readonly publicKeySpki: Uint8Array;
}

export async function verifyCsr(der: Uint8Array): Promise<VerifiedCsr> {
  const normalized = normalizeCsrDer(der);
  let request: x509.Pkcs10CertificateRequest;
  try {
    request = new x509.Pkcs10CertificateRequest(normalized);
  } catch (error) {
    throw new EnrollerError('MODEM_CSR_INVALID', 'The certificate request is not a valid PKCS#10 structure.', {
      cause: String(error),
    });
  }
  if (!(await possessionProved(normalized, new Uint8Array(request.publicKey.rawData))))
    throw new EnrollerError(
      'MODEM_CSR_INVALID',
      "The certificate request's signature does not verify: it was not signed by the key it carries.",
    );
  return {
    der: normalized,
    request,
    subject: request.subject,
    publicKeySpki: new Uint8Array(request.publicKey.rawData),
  };
}

/** The CSR's signature made by the key it carries (signed-der.ts: framing and OpenSSL, on the thread pool). */
async function possessionProved(der: Uint8Array, spki: Uint8Array): Promise<boolean> {
  const parts = splitSigned(der);
  try {
    return parts !== undefined && (await signatureVerifies(parts, publicKeyFromSpki(spki))) === true;
  } catch {
    return false;
  }
}

/** The challengePassword attribute (PKCS#9) a CSR carries, if any: where SCEP enrollment codes live. */
export function challengePasswordOf(csrDer: Uint8Array): string | undefined {
  const attribute = new x509.Pkcs10CertificateRequest(csrDer.slice()).getAttribute('1.2.840.113549.1.9.7');
  return attribute instanceof x509.ChallengePasswordAttribute ? attribute.password : undefined;
}
