// The embedded CA behind the same Enroller interface as EST and SCEP, so the pipeline falls back
// to it without knowing. It never answers "pending": it is always there.
import { EnrollerError } from '../../../shared/errors';
import type { x509 } from '../../pki/crypto';
import { intakeCsr } from '../../pki/csr-intake';
import type { LocalAuthority } from '../../pki/authority/local-authority';
import type { EnrollContext, Enroller, EnrollResult } from '../enroller';
import { keyPolicyOf } from '../../pki/key-policy';

export class LocalEnroller implements Enroller {
  readonly protocol = 'local' as const;
  readonly #authority: LocalAuthority;

  constructor(authority: LocalAuthority) {
    this.#authority = authority;
  }

  /** The unlocked station CA itself: a bulk run issues through it directly (station/bulk). */
  get authority(): LocalAuthority {
    return this.#authority;
  }

  async caCerts(): Promise<x509.X509Certificate[]> {
    return [this.#authority.issuing, this.#authority.root];
  }

  async enroll(csrDer: Uint8Array, context: EnrollContext): Promise<EnrollResult> {
    if (!context.deviceType)
      throw new EnrollerError('DEVICE_TYPE_NOT_FOUND', 'The local CA needs the device type to know what to issue.');
    const csr = await intakeCsr(csrDer, { keyPolicy: keyPolicyOf(context.deviceType), allowRequestedSans: false });
    const { certificate } = await this.#authority.issue({
      csr,
      deviceType: context.deviceType,
      deviceId: context.deviceId,
      attributes: context.attributes ?? {},
      ...(context.kind ? { kind: context.kind } : {}),
    });
    return { status: 'issued', certificate, chain: [this.#authority.issuing] };
  }

  async poll(): Promise<EnrollResult> {
    throw new EnrollerError('ENROLL_NOT_SUPPORTED', 'The local CA never leaves a request pending.');
  }
}
