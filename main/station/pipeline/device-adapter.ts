// The one small interface every device kind implements for the runner (run-device-job.ts): who
// the device is, its key and CSR, writing the credentials, reading them back. A new device kind
// (an ESP32, a Zephyr TLS-credentials shell) is one new adapter file; the runner does not change.
import type { DeviceAttributes, DeviceTypeDocument } from '../../../shared/device-type';
import type { LinkRecovery } from '../../devices/link-recovery';
import type { EnrollContext, Enroller } from '../../enroll/enroller';
import type { x509 } from '../../pki/crypto';
import type { CsrRequirements } from '../../pki/csr-requirements';
import type { AuditLog } from '../../store/audit-log';
import type { JobRow, JobStore } from '../../store/job-store';
import type { NewQueueItem, QueueStore } from '../../store/queue-store';
import type { Approvals } from '../approvals/approvals';
import type { CredentialPool } from '../bundles/credential-pool';
import type { FleetGate } from '../fleet/fleet-gate';
import type { PlannedChain } from './issuing-chain';
import type { JobOutcome } from './job-outcome';
import type { JobRunInput } from './job-run';

/** Who a device is, as its adapter found out, before anything is made or written. */
export interface Identity {
  readonly deviceId: string;
  /** What the enroller may put in the certificate (the local CA's subject mapping). */
  readonly attributes: DeviceAttributes;
  /** Kept on the device's row. */
  readonly device?: {
    readonly imei?: string;
    readonly uuid?: string | undefined;
    readonly model?: string | undefined;
    readonly firmware?: string | undefined;
    readonly attestationToken?: string | undefined;
  };
  /** What the approval records and forwards with the pet name; absent for inputs that are not devices (CSR files). */
  readonly approval?: Record<string, unknown>;
  /** Details on the `device.approved` audit row. */
  readonly audit: Record<string, unknown>;
}

/** A key and CSR the device made (or a CSR it handed over), with the evidence of where the key lives. */
export interface MadeCsr {
  readonly csrDer: Uint8Array;
  /** Fingerprint of the key as the device holds it: checked on every resume. */
  readonly keySha256?: string;
  readonly keyEvidence?: Uint8Array;
  readonly audit: { readonly action: string; readonly details: Record<string, unknown> };
}

export interface CsrOptions {
  /** The SCEP enrollment code to put inside, where the station builds the CSR. */
  readonly challenge: string | undefined;
  /** Enrolled again on purpose after it was done: a new key, not the one left from before. */
  readonly fresh: boolean;
  /** What the profile's service asks a CSR to carry (EST /csrattrs): applied where the station builds the CSR. */
  readonly asked?: CsrRequirements | undefined;
}

/** Why a job waits instead of ending: the service is out of reach, or has not issued yet. */
export type WaitReason =
  | { readonly kind: 'outage'; readonly message: string }
  | { readonly kind: 'pending'; readonly retryAfterSeconds: number };

/** How a wait is worded: on the job's row, on the queue item, and in the outcome. */
export interface WaitWords {
  readonly job: string;
  readonly queue: string;
  readonly code?: string;
  readonly message: string;
}

export interface DeviceAdapter {
  /** A device found done with this very key: left alone (`skip`), or its files written again (`rewrite`). */
  readonly whenDone: 'skip' | 'rewrite';
  /** May get a short-lived birth certificate from the station CA while its service is out of reach. */
  readonly birthCertificates: boolean;
  /** The station builds the CSR, so a SCEP enrollment code (challengePassword) can go inside. */
  readonly carriesChallenge: boolean;
  /** What the queue keeps beside the CSR: a device waits to be plugged in again, a file has a path and out dir. */
  readonly queueItem: Pick<NewQueueItem, 'kind' | 'csrFile' | 'outDir'>;

  /** Reaches the device and says who it is. Nothing is made or written yet. */
  identify(signal: AbortSignal | undefined): Promise<Identity>;
  /** Refuses the job before it opens, given the newest job that holds this ID (a second key, say). */
  admit?(holding: JobRow | undefined, identity: Identity): void;
  /** Around everything that touches the device's credentials (a modem goes offline, then online). */
  session<T>(work: () => Promise<T>, signal: AbortSignal | undefined): Promise<T>;
  /** Does the device still hold the key a stored CSR was made from? */
  holdsKey(job: JobRow, signal: AbortSignal | undefined): Promise<boolean>;
  /** Makes (or takes) the key and the CSR. */
  makeCsr(job: JobRow, options: CsrOptions, signal: AbortSignal | undefined): Promise<MadeCsr>;
  /** What the enroller needs from the device itself (a TPM signs its own SCEP request). */
  enrollContext?(job: JobRow, signal: AbortSignal | undefined): Partial<EnrollContext>;
  /** The certificate the device already holds (DER), if it can say: how a device is recognised after a restore. */
  heldCertificate?(signal: AbortSignal | undefined): Promise<Uint8Array | undefined>;
  /** What `write` will put on the device for this leaf: checked by preflight before anything is written. */
  planned(job: JobRow, leaf: x509.X509Certificate): PlannedChain;
  /** Writes the certificate (and chain, trust anchors); returns each place written with its SHA-256. */
  write(job: JobRow, leaf: x509.X509Certificate, signal: AbortSignal | undefined): Promise<Record<string, string>>;
  /** Reads back what was written and proves the device still holds the certificate's key. */
  verify(
    job: JobRow,
    leaf: x509.X509Certificate,
    written: Record<string, string>,
    signal: AbortSignal | undefined,
  ): Promise<void>;
  /** Words for a wait, where the device's differ from the default. */
  waitWords?(reason: WaitReason): WaitWords;
  /** Adds what only this kind reports (a CSR file's certificate file). */
  finish?(outcome: JobOutcome, job: JobRow | undefined): JobOutcome;
  /** Tells the runner each time the device's link recovered (for the audit record and the tile). */
  onRecovery?(listener: (recovery: LinkRecovery) => void): () => void;
}

/** What a job is given by the batch or the CLI, whatever the device. */
export interface JobInput extends JobRunInput {
  /** The slot: a serial port, a TPM's TCTI, a CSR file's path. */
  readonly port: string;
  readonly deviceType: DeviceTypeDocument;
  readonly profile: { readonly name: string; readonly enroller: Enroller; readonly challenge?: string | undefined };
  readonly jobs: JobStore;
  readonly queue: QueueStore;
  readonly approvals: Approvals;
  readonly audit: AuditLog;
  /** The embedded CA, for birth certificates while a remote service is out of reach. */
  readonly fallback?: { readonly name: string; readonly enroller: Enroller } | undefined;
  /** The fleet this station joined: claims each device ID before a certificate is asked for (#23). */
  readonly fleet?: FleetGate | undefined;
  /** One-time enrollment credentials from the profile's bundles, if it has any. */
  readonly credentials?: CredentialPool | undefined;
  /** Opens sealed bundle credentials. */
  readonly passphrase?: string | undefined;
  /** The pet name the technician gave (typed or scanned) for this slot. */
  readonly petName?: string | undefined;
  readonly batchId?: string | undefined;
  /** Enroll again a device that is already done. */
  readonly force?: boolean | undefined;
  /** Who is running it, for the audit log. */
  readonly actor?: string | undefined;
}

/** An operation's options carrying the job's signal, where it has one. */
export function withSignal(signal: AbortSignal | undefined): { signal?: AbortSignal } {
  return signal ? { signal } : {};
}
