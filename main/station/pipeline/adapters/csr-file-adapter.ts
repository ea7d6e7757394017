// A CSR file (DER or PEM; Ability PKI's offline enrollment, DPCM's `CSR.der`) as a device kind for
// the runner: identity from the CSR's subject (CN, else serialNumber), the CSR taken as it is (its
// key never was here), the certificate written out as `<device ID>.pem` / `.der` and read back.
// A file that waits for its service is delivered by the queue sync through this same adapter.
import fsp from 'node:fs/promises';
import path from 'node:path';
import { EnrollerError } from '../../../../shared/errors';
import type { DeviceTypeDocument } from '../../../../shared/device-type';
import { readCsrFile, writeCertificateFiles } from '../../../devices/files/csr-files';
import type { FileDurability } from '../../../devices/files/file-durability';
import { x509 } from '../../../pki/crypto';
import { csrPublicKey, sameKey } from '../../../pki/public-key-of';
import { intakeCsr, type AcceptedCsr } from '../../../pki/csr-intake';
import { keyPolicyOf } from '../../../pki/key-policy';
import { inputName } from '../../../store/device-claims';
import type { JobRow } from '../../../store/job-store';
import type { DeviceAdapter, Identity, MadeCsr, WaitReason, WaitWords } from '../device-adapter';
import { chainFrom, type PlannedChain } from '../issuing-chain';
import type { JobOutcome } from '../job-outcome';

export interface CsrFileInput {
  readonly file: string;
  readonly outDir: string;
  readonly deviceType: DeviceTypeDocument;
  /** The issuing chain written after the leaf in the PEM file. */
  readonly chainPem: string;
  /** How the certificate files are made durable (default: each fsynced before its rename). */
  readonly durability?: FileDurability | undefined;
  /** The CSR as the queue kept it, when the file itself is not read again (the sync delivers it). */
  readonly csrDer?: Uint8Array | undefined;
  /** The enroll run it belongs to: two files of one run never share a device ID. */
  readonly batchId?: string | undefined;
  /** Enroll again on purpose a device already enrolled with another key. */
  readonly force?: boolean | undefined;
}

export class CsrFileAdapter implements DeviceAdapter {
  readonly whenDone = 'rewrite'; // a rerun writes the stored certificate out again, asking for nothing
  readonly birthCertificates = false; // a file waits for its service: there is no device to hold a factory certificate
  readonly carriesChallenge = false; // signed by the device: nothing can be added
  readonly queueItem;
  readonly #input: CsrFileInput;
  #csr: AcceptedCsr | undefined;
  #exported: { certFile: string; collidedWith?: string } | undefined;

  constructor(input: CsrFileInput) {
    this.#input = input;
    this.queueItem = { kind: 'csr-file', csrFile: input.file, outDir: input.outDir } as const;
  }

  async identify(): Promise<Identity> {
    const csr = (this.#csr = await intakeCsr(this.#input.csrDer ?? readCsrFile(this.#input.file), {
      keyPolicy: keyPolicyOf(this.#input.deviceType),
    }));
    const deviceId = csr.subjectFields.CN ?? csr.subjectFields.serialNumber;
    if (!deviceId)
      throw new EnrollerError(
        'CSR_SUBJECT_INVALID',
        'The request names no device: its subject has no CN or serialNumber.',
      );
    return { deviceId, attributes: {}, audit: { csrFile: this.#input.file } };
  }

  /**
   * A second key for a device ID that already has a live request or certificate is refused before
   * anything is issued: from the same run (or still in flight) it is a conflict between two inputs;
   * from an earlier run, a device already enrolled that only `--force` enrolls again.
   */
  admit(holding: JobRow | undefined, identity: Identity): void {
    if (!holding || this.#sameKey(holding)) return;
    const { deviceId } = identity;
    const { file, batchId, force } = this.#input;
    const other = inputName(holding.port);
    const sameRun = batchId !== undefined && holding.batchId === batchId;
    if (holding.status === 'done' && !sameRun) {
      if (force) return;
      throw new EnrollerError(
        'DEVICE_ALREADY_ENROLLED',
        `${deviceId} is already enrolled with another key (from ${other}); enroll it again only on purpose (--force).`,
        { deviceId, enrolledFrom: other },
      );
    }
    const state =
      holding.status === 'running'
        ? 'unfinished'
        : holding.status === 'failed'
          ? 'holding a certificate not yet written out'
          : holding.status;
    const why = sameRun ? `${other} in this run already names it` : `${other} has a request for it that is ${state}`;
    throw new EnrollerError(
      'DEVICE_ID_CONFLICT',
      `${file} is device ${deviceId} with another key, and ${why}; nothing was issued for ${file}. One device ID ` +
        `gets one certificate: check the CSR subjects.`,
      {
        deviceId,
        input: file,
        conflictsWith: other,
      },
    );
  }

  session<T>(work: () => Promise<T>): Promise<T> {
    return work();
  }

  /** A stored CSR is this file's only if it carries this file's key. */
  async holdsKey(job: JobRow): Promise<boolean> {
    return this.#sameKey(job);
  }

  async makeCsr(): Promise<MadeCsr> {
    const csr = this.#csr!;
    return {
      csrDer: csr.der,
      audit: { action: 'csr.received', details: { file: this.#input.file, key: csr.keyFingerprint } },
    };
  }

  /** The file holds the leaf with the service's chain (a file never gets a birth certificate). */
  planned(_job: JobRow, leaf: x509.X509Certificate): PlannedChain {
    return chainFrom(leaf, this.#input.chainPem);
  }

  async write(job: JobRow, leaf: x509.X509Certificate): Promise<Record<string, string>> {
    const { collidedWith, ...files } = await writeCertificateFiles(
      this.#input.outDir,
      job.deviceId!,
      job.certDer!,
      leaf.toString('pem'),
      this.#input.chainPem,
      this.#input.durability,
    );
    this.#exported = { certFile: files.pem, ...(collidedWith ? { collidedWith } : {}) };
    return files;
  }

  /** The files read back as the very certificate, for this CSR's key. */
  async verify(job: JobRow, leaf: x509.X509Certificate, written: Record<string, string>): Promise<void> {
    // The very bytes of the certificate: nothing to parse to compare them.
    const readBack = await fsp.readFile(written.der!);
    if (!readBack.equals(Buffer.from(leaf.rawData)) || !this.#sameKey(job)) throw fileReadBackMismatch(job.deviceId);
  }

  waitWords(reason: WaitReason): WaitWords {
    const said =
      reason.kind === 'outage'
        ? reason.message
        : `the service has not issued it yet; ask again in ${reason.retryAfterSeconds} s`;
    return {
      job: said,
      queue: said,
      code: 'ENROLL_QUEUED',
      message:
        `Queued (${said}) — \`enroller queue sync\` writes the certificate to ${this.#input.outDir} when the ` +
        `service answers.`,
    };
  }

  finish(outcome: JobOutcome): JobOutcome {
    if (outcome.status !== 'verified' || !this.#exported) return outcome;
    const { certFile, collidedWith } = this.#exported;
    // A rerun of a finished file says nothing more than a first run did.
    const plain = { ...outcome, certFile, code: undefined, message: undefined };
    return collidedWith ? { ...plain, message: nameTakenWords(collidedWith, certFile) } : plain;
  }

  #sameKey(job: JobRow): boolean {
    return job.csrDer !== null && sameKey(csrPublicKey(job.csrDer), this.#csr!.publicKeySpki);
  }
}

/** A device's certificate file that does not read back as the certificate for its key: here and in the bulk lane. */
export function fileReadBackMismatch(deviceId: string | null): EnrollerError {
  return new EnrollerError(
    'MODEM_READBACK_MISMATCH',
    `The certificate file for ${deviceId} does not read back as written.`,
  );
}

/** A certificate file written under the next free name, because its own held another key's. */
export function nameTakenWords(collidedWith: string, certFile: string): string {
  return (
    `${path.basename(collidedWith)} already holds a certificate for another key and was left as it is; ` +
    `this one is ${path.basename(certFile)}.`
  );
}

/** A CSR file's outcome as `enroll` and `queue sync` report it. */
export interface CsrFileOutcome {
  readonly csr: string;
  readonly deviceId: string | undefined;
  readonly status: 'issued' | 'pending' | 'failed';
  readonly certFile: string | undefined;
  readonly certSerial: string | undefined;
  readonly code: string | undefined;
  readonly message: string | undefined;
}

export function csrFileOutcome(file: string, outcome: JobOutcome): CsrFileOutcome {
  const status = outcome.status === 'verified' ? 'issued' : outcome.status === 'waiting' ? 'pending' : 'failed';
  return {
    csr: file,
    deviceId: outcome.deviceId,
    status,
    certFile: outcome.certFile,
    certSerial: outcome.certSerial,
    code: outcome.code,
    message: outcome.message,
  };
}
