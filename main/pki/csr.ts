// A CSR as the station trusts it: quirk-normalised, well framed, and its proof of possession
// checked — by framing and OpenSSL, not the X.509 library's parser: this runs for every device a
// modem or TPM enrolls, and the request is taken in again, in full, by the CSR intake (#18).
import { EnrollerError } from '../../shared/errors';
import { x509 } from './crypto';
import { normalizeCsrDer, readRequestInfo, splitCsr } from './csr-der';
import { scanDer } from './der-scan';
import { signatureVerifies, type SignedParts } from './signed-der';
import { publicKeyFromSpki } from './spki-key';

export interface VerifiedCsr {
  /** DER as the station stores and forwards it (normalised). */
  readonly der: Uint8Array;
  /** SubjectPublicKeyInfo DER: the key the certificate must carry. */
  readonly publicKeySpki: Uint8Array;
  /** The request as the X.509 library reads it, parsed when first asked for. */
  readonly request: x509.Pkcs10CertificateRequest;
  readonly subject: string;
}

export async function verifyCsr(der: Uint8Array): Promise<VerifiedCsr> {
  const normalized = normalizeCsrDer(der);
  const parts = scanDer(normalized).ok ? splitCsr(normalized) : undefined;
  const info = parts && readRequestInfo(parts.info);
  if (!parts || !info) {
    throw new EnrollerError('MODEM_CSR_INVALID', 'The certificate request is not a valid PKCS#10 structure.');
  }
  if (!(await possessionProved(parts, info.spki)))
    throw new EnrollerError(
      'MODEM_CSR_INVALID',
      "The certificate request's signature does not verify: it was not signed by the key it carries.",
    );
  return new ProvedCsr(normalized, info.spki);
}

class ProvedCsr implements VerifiedCsr {
  #request: x509.Pkcs10CertificateRequest | undefined;
  constructor(
    readonly der: Uint8Array,
    readonly publicKeySpki: Uint8Array,
  ) {}
  get request(): x509.Pkcs10CertificateRequest {
    return (this.#request ??= new x509.Pkcs10CertificateRequest(this.der));
  }
  get subject(): string {
    return this.request.subject;
  }
}

/** The CSR's signature made by the key it carries (signed-der.ts: OpenSSL, on the thread pool). */
async function possessionProved(parts: SignedParts, spki: Uint8Array): Promise<boolean> {
  try {
    return (await signatureVerifies(parts, publicKeyFromSpki(spki))) === true;
  } catch {
    return false;
  }
}

/** The challengePassword attribute (PKCS#9) a CSR carries, if any: where SCEP enrollment codes live. */
export function challengePasswordOf(csrDer: Uint8Array): string | undefined {
  const attribute = new x509.Pkcs10CertificateRequest(csrDer.slice()).getAttribute('1.2.840.113549.1.9.7');
  return attribute instanceof x509.ChallengePasswordAttribute ? attribute.password : undefined;
}
