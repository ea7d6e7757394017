// The one "obtain a certificate" step, for every device kind and for the queue sync: the profile's
// enroller asked (or polled), a one-time credential reserved and its fate decided — spent in the
// commit that records what it bought, burnt when the service refuses it, given back otherwise —
// and, for a device job, an outage turned into a queue item and the device type's offline policy
// (a birth certificate now, or hold), and "pending" into a wait.
import crypto from 'node:crypto';
import { EnrollerError, isEnrollerError } from '../../../shared/errors';
import type { EnrollContext, Enroller } from '../../enroll/enroller';
import { throughHiccups } from '../../enroll/hiccups';
import { isTransient } from '../../enroll/transient';
import type { x509 } from '../../pki/crypto';
import { challengePasswordOf } from '../../pki/csr';
import type { JobRow } from '../../store/job-store';
import type { CredentialPool, Reservation } from '../bundles/credential-pool';
import type { DeviceAdapter, JobInput, WaitReason, WaitWords } from './device-adapter';

export interface CertificateRequest {
  readonly enroller: Enroller;
  readonly profile: string;
  readonly deviceId: string;
  readonly csrDer: Uint8Array;
  readonly context: EnrollContext;
  /** Ask again about a pending request instead of sending a new one. */
  readonly txn?: string | null | undefined;
  readonly credentials?: CredentialPool | undefined;
  readonly passphrase?: string | undefined;
  readonly actor: string;
  /** The service refused the code a CSR carries inside it: that CSR is spent too. */
  readonly onCodeBurnt?: () => void;
}

export type Requested =
  | { readonly status: 'issued'; readonly certificate: x509.X509Certificate; readonly spend: () => void }
  | { readonly status: 'pending'; readonly transaction: string; readonly retryAfterSeconds: number };

/** Asks the service once. Call `spend()` inside the commit that records the certificate. */
export async function requestCertificate(request: CertificateRequest): Promise<Requested> {
  const { enroller, credentials, actor } = request;
  const scep = enroller.protocol === 'scep';
  const pool = !request.txn && credentials?.hasBundles(request.profile) ? credentials : undefined;
  let reservation: Reservation | undefined = pool?.reserve(
    request.profile,
    request.deviceId,
    request.passphrase,
    actor,
  );
  if (reservation && scep && challengePasswordOf(request.csrDer) !== reservation.secret) {
    // A SCEP code travels inside the CSR: one that does not carry this code does not spend it.
    pool!.release(reservation.id, actor);
    reservation = undefined;
  }
  // An EST one-time password goes with this request only.
  const context =
    reservation && !scep ? { ...request.context, credential: { password: reservation.secret } } : request.context;
  let result;
  try {
    result = request.txn ? await enroller.poll(request.txn, context) : await enroller.enroll(request.csrDer, context);
  } catch (error) {
    if (reservation && isEnrollerError(error)) decideCredential(error, reservation, pool!, scep, request);
    throw error;
  }
  // Pending: the reservation stays with this device, and the same credential goes with the retry.
  if (result.status === 'pending') return result;
  const csrSha256 = crypto.createHash('sha256').update(request.csrDer).digest('hex');
  return {
    status: 'issued',
    certificate: result.certificate,
    spend: () => reservation && pool!.consume(reservation.id, request.deviceId, csrSha256, actor),
  };
}

/** Refused by the service: burnt. Any other refusal: given back. Out of reach: kept for the retry. */
function decideCredential(
  error: EnrollerError,
  reservation: Reservation,
  pool: CredentialPool,
  scep: boolean,
  request: CertificateRequest,
): void {
  const refused =
    error.code === 'ENROLL_UNAUTHORIZED' || (error.code === 'SCEP_FAILURE' && error.details?.failInfo === 2);
  if (refused) {
    pool.refuse(reservation.id, request.actor);
    if (scep) request.onCodeBurnt?.();
  } else if (!scep && !isTransient(error.code)) pool.release(reservation.id, request.actor);
}

export type Obtained =
  | { readonly kind: 'issued'; readonly job: JobRow; readonly birth: boolean }
  | { readonly kind: 'waiting'; readonly words: WaitWords };

/**
 * A device job's certificate: recorded on the job (with the credential spent in that commit), or
 * the job waits — its CSR in the queue, the record of what is owed.
 */
export async function obtainForJob(
  input: JobInput,
  adapter: DeviceAdapter,
  job: JobRow,
  context: EnrollContext,
  options: ObtainOptions = {},
): Promise<Obtained> {
  if (options.birth) return birthCertificate(stationCa(input, job), input, job, context, options.andRecord);
  const { owe, wait } = debts(input, adapter, job);
  const actor = input.actor ?? 'station';
  let requested: Requested;
  try {
    requested = await throughHiccups(
      () =>
        requestCertificate({
          enroller: input.profile.enroller,
          profile: input.profile.name,
          deviceId: job.deviceId!,
          csrDer: job.csrDer!,
          context,
          credentials: input.credentials,
          passphrase: input.passphrase,
          actor,
          onCodeBurnt: () => input.jobs.dropStaleKey(job.id),
        }),
      {
        signal: context.signal,
        onRetry: (attempt, error) =>
          input.audit.append(
            'enroll.retried',
            job.deviceId!,
            { profile: input.profile.name, attempt, code: error.code, message: error.message },
            actor,
          ),
      },
    );
  } catch (error) {
    if (!isEnrollerError(error) || !isTransient(error.code) || input.profile.enroller.protocol === 'local') throw error;
    const offline = input.deviceType.offline;
    if (!adapter.birthCertificates || offline.policy !== 'birth' || !offline.localCaAllowed || !input.fallback)
      return wait({ kind: 'outage', message: error.message }, error.code);
    // The service is out of reach: the CSR waits in the queue, and the device gets a factory certificate now.
    owe(error.code, error.message);
    return birthCertificate(input.fallback, input, job, context, options.andRecord);
  }
  if (requested.status === 'pending')
    return wait(
      { kind: 'pending', retryAfterSeconds: requested.retryAfterSeconds },
      'ENROLL_PENDING',
      requested.transaction,
    );
  const spend = () => {
    requested.spend();
    options.andRecord?.();
  };
  return { kind: 'issued', job: record(input, job, requested.certificate, spend), birth: false };
}

export interface ObtainOptions {
  /** A supervisor set the device back to factory mode: a birth certificate from the station CA. */
  readonly birth?: boolean;
  /** More to do in the commit that records the certificate (the one it supersedes revoked). */
  readonly andRecord?: (() => void) | undefined;
}

/** What a job that cannot have its certificate now owes: its CSR in the queue, and the job waiting. */
function debts(input: JobInput, adapter: DeviceAdapter, job: JobRow) {
  const owe = (code: string, message: string, txn?: string) =>
    input.queue.enqueue({
      ...adapter.queueItem,
      deviceId: job.deviceId!,
      deviceType: input.deviceType.name,
      profile: input.profile.name,
      jobId: job.id,
      csrDer: job.csrDer!,
      code,
      message,
      ...(txn ? { txn } : {}),
    });
  const wait = (reason: WaitReason, code: string, txn?: string): Obtained => {
    const words = adapter.waitWords ? adapter.waitWords(reason) : defaultWaitWords(reason);
    owe(code, words.queue, txn);
    input.jobs.markWaiting(job.id, words.job);
    return { kind: 'waiting', words };
  };
  return { owe, wait };
}

/** The station CA, for a birth certificate a supervisor asked for. */
function stationCa(input: JobInput, job: JobRow): NonNullable<JobInput['fallback']> {
  const ca = input.profile.enroller.protocol === 'local' ? input.profile : input.fallback;
  if (ca) return ca;
  throw new EnrollerError(
    'CA_LOCKED',
    `${job.deviceId} was set back to factory mode: its birth certificate comes from the station CA, which is ` +
      'locked. Unlock the station CA and provision it again.',
  );
}

async function birthCertificate(
  ca: NonNullable<JobInput['fallback']>,
  input: JobInput,
  job: JobRow,
  context: EnrollContext,
  andRecord: (() => void) | undefined,
): Promise<Obtained> {
  const birth = await ca.enroller.enroll(job.csrDer!, { ...context, kind: 'birth' });
  if (birth.status !== 'issued')
    throw new EnrollerError('INTERNAL', 'The station CA did not issue a birth certificate.');
  return { kind: 'issued', job: record(input, job, birth.certificate, () => andRecord?.()), birth: true };
}

function record(input: JobInput, job: JobRow, certificate: x509.X509Certificate, spend: () => void): JobRow {
  return input.jobs.advance(
    job.id,
    'enrolled',
    {
      certSerial: certificate.serialNumber,
      certIssuer: certificate.issuer,
      certDer: new Uint8Array(certificate.rawData),
    },
    spend,
  );
}

function defaultWaitWords(reason: WaitReason): WaitWords {
  if (reason.kind === 'outage') {
    return {
      job:
        'Queued: the service cannot be reached. The certificate is written when the device is plugged in again ' +
        'after the queue syncs.',
      queue: reason.message,
      message: 'Waiting for a certificate from the service.',
    };
  }
  return {
    job: `Waiting for the service (retry in ${reason.retryAfterSeconds} s).`,
    queue: 'The service has not issued it yet.',
    message: 'Waiting for a certificate from the service.',
  };
}
