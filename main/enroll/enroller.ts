// One interface for every way the station gets a certificate: EST, SCEP, or its own embedded CA.
// The pipeline never knows which protocol answered (DESIGN.md, "Enroller").
import type { DeviceAttributes, DeviceTypeDocument } from '../../shared/device-type';
import type { x509 } from '../pki/crypto';
import type { CsrRequirements } from '../pki/csr-requirements';
import type { ExternalSigner } from '../pki/external-signer';

export type EnrollResult =
  | {
      readonly status: 'issued';
      readonly certificate: x509.X509Certificate;
      /** Anything else the server returned (intermediates), leaf excluded. */
      readonly chain: readonly x509.X509Certificate[];
    }
  | {
      readonly status: 'pending';
      /** Opaque: what poll() needs to ask again. */
      readonly transaction: string;
      readonly retryAfterSeconds: number;
    };

export interface EnrollContext {
  readonly deviceId: string;
  readonly signal?: AbortSignal;
  /** Per-request deadline; every network request has one. */
  readonly timeoutMs?: number;
  /** Re-enrollment with an existing certificate (EST simplereenroll, SCEP RenewalReq). */
  readonly renew?: { readonly certificatePem: string; readonly keyPem: string };
  /** What the local CA issues from (a remote service decides for itself). */
  readonly deviceType?: DeviceTypeDocument;
  readonly attributes?: DeviceAttributes;
  readonly kind?: 'birth' | 'operational';
  /**
   * The device key itself, where it can sign (a TPM): SCEP then signs the request envelope with
   * it and has the device unwrap the reply (raw RSA on the device; padding checked here).
   */
  readonly requester?: {
    readonly signer: ExternalSigner;
    readonly decrypt: (block: Uint8Array) => Promise<Uint8Array>;
  };
  /** A one-time enrollment credential from a bundle: EST Basic password for this request only. */
  readonly credential?: { readonly password: string };
}

export interface Enroller {
  readonly protocol: 'est' | 'scep' | 'cmp' | 'local';
  caCerts(context?: Pick<EnrollContext, 'signal' | 'timeoutMs'>): Promise<x509.X509Certificate[]>;
  enroll(csrDer: Uint8Array, context: EnrollContext): Promise<EnrollResult>;
  poll(transaction: string, context: EnrollContext): Promise<EnrollResult>;
  /** What the service asks a CSR to carry (EST /csrattrs); undefined when it asks nothing or cannot say. */
  csrRequirements?(context?: Pick<EnrollContext, 'signal' | 'timeoutMs'>): Promise<CsrRequirements | undefined>;
}
