// One CSR file through the flow: identified (device ID from its subject) → approved → csr →
// enrolled → written (certificate files out) → verified (files read back) → done. A rerun after a
// crash re-exports a stored certificate instead of asking for another one.
import fs from 'node:fs';
import path from 'node:path';
import { EnrollerError, isEnrollerError } from '../../../shared/errors';
import type { DeviceTypeDocument } from '../../../shared/device-type';
import { readCsrFile, writeCertificateFiles } from '../../devices/files/csr-files';
import type { Enroller } from '../../enroll/enroller';
import { x509 } from '../../pki/crypto';
import { intakeCsr } from '../../pki/csr-intake';
import type { AuditLog } from '../../store/audit-log';
import type { Db } from '../../store/database';
import { inputName } from '../../store/device-claims';
import { markWaiting, type JobRow, type JobStore, type Step } from '../../store/job-store';
import type { QueueStore } from '../../store/queue-store';
import { isTransient } from '../../enroll/transient';
import { keyPolicyOf } from '../../pki/key-policy';

export interface CsrFileOutcome {
  readonly csr: string;
  readonly deviceId: string | undefined;
  readonly status: 'issued' | 'pending' | 'failed';
  readonly certFile: string | undefined;
  readonly certSerial: string | undefined;
  readonly code: string | undefined;
  readonly message: string | undefined;
}

export interface CsrFileJobInput {
  readonly file: string;
  readonly outDir: string;
  readonly deviceType: DeviceTypeDocument;
  readonly profile: { readonly name: string; readonly enroller: Enroller };
  /** The issuing chain written after the leaf in the PEM file. */
  readonly chainPem: string;
  readonly db: Db;
  readonly jobs: JobStore;
  readonly queue: QueueStore;
  readonly audit: AuditLog;
  readonly force?: boolean;
  readonly signal?: AbortSignal;
  readonly actor?: string;
  /** The enroll run this file belongs to: two files of one run never share a device ID. */
  readonly batchId?: string;
}

export async function runCsrFileJob(input: CsrFileJobInput): Promise<CsrFileOutcome> {
  const { jobs } = input;
  const actor = input.actor ?? 'station';
  let job = jobs.create(`file:${input.file}`, input.deviceType.name, input.profile.name, input.batchId);
  let attempting: Step = 'identified';
  let deviceId: string | undefined;
  const result = (status: CsrFileOutcome['status'], extra: Partial<CsrFileOutcome> = {}): CsrFileOutcome => ({
    csr: input.file,
    deviceId,
    status,
    certFile: undefined,
    certSerial: job.certSerial ?? undefined,
    code: undefined,
    message: undefined,
    ...extra,
  });
  try {
    const csr = await intakeCsr(readCsrFile(input.file), { keyPolicy: keyPolicyOf(input.deviceType) });
    const id = (deviceId = csr.subjectFields.CN ?? csr.subjectFields.serialNumber);
    if (!id) throw new EnrollerError('CSR_SUBJECT_INVALID', 'The request names no device: its subject has no CN or serialNumber.');
    const sameKey = (der: Uint8Array | null) => der !== null && Buffer.from(new x509.Pkcs10CertificateRequest(der.slice()).publicKey.rawData).equals(Buffer.from(csr.publicKeySpki));
    const previous = jobs.latestFor(id);
    const holding = jobs.latestHolding(id);
    // The ID is claimed in this commit: a file being enrolled for it right now wins (DEVICE_ID_CONFLICT).
    job = jobs.advance(job.id, 'identified', { deviceId: id }, () => jobs.upsertDevice({ deviceId: id, deviceType: input.deviceType.name }));
    if (holding && !sameKey(holding.csrDer)) refuseSecondKey(holding, id, input);
    if (previous && sameKey(previous.csrDer)) job = jobs.inherit(job.id, previous);

    attempting = 'approved';
    job = jobs.advance(job.id, 'approved', {}, () => input.audit.append('device.approved', id, { csrFile: input.file }, actor));
    attempting = 'csr';
    if (!job.csrDer) job = jobs.advance(job.id, 'csr', { csrDer: csr.der }, () => input.audit.append('csr.received', id, { file: input.file, key: csr.keyFingerprint }, actor));

    attempting = 'enrolled';
    if (!job.certDer) {
      const queued = (code: string, message: string, txn?: string) => {
        input.queue.enqueue({ kind: 'csr-file', deviceId: id, deviceType: input.deviceType.name, profile: input.profile.name, jobId: job.id, csrDer: job.csrDer!, csrFile: input.file, outDir: input.outDir, code, message, ...(txn ? { txn } : {}) });
        markWaiting(input.db, job.id, message);
        return result('pending', { code: 'ENROLL_QUEUED', message: `Queued (${message}) — \`enroller queue sync\` writes the certificate to ${input.outDir} when the service answers.` });
      };
      let enrolled: Awaited<ReturnType<Enroller['enroll']>>;
      try {
        enrolled = await input.profile.enroller.enroll(job.csrDer!, { deviceId: id, deviceType: input.deviceType, attributes: { deviceId: id }, ...(input.signal ? { signal: input.signal } : {}) });
      } catch (error) {
        if (isEnrollerError(error) && isTransient(error.code) && input.profile.enroller.protocol !== 'local') return queued(error.code, error.message);
        throw error;
      }
      if (enrolled.status === 'pending') return queued('ENROLL_PENDING', `the service has not issued it yet; ask again in ${enrolled.retryAfterSeconds} s`, enrolled.transaction);
      job = jobs.advance(job.id, 'enrolled', { certSerial: enrolled.certificate.serialNumber, certIssuer: enrolled.certificate.issuer, certDer: new Uint8Array(enrolled.certificate.rawData) });
    }
    attempting = 'written';
    const exported = exportCertificate({ jobs, audit: input.audit, jobId: job.id, outDir: input.outDir, deviceId: id, certDer: job.certDer!, publicKeySpki: csr.publicKeySpki, chainPem: input.chainPem, file: input.file, actor });
    job = jobs.get(job.id);
    return result('issued', { certFile: exported.certFile, ...(exported.message ? { message: exported.message } : {}) });
  } catch (error) {
    const code = isEnrollerError(error) ? error.code : 'INTERNAL';
    const message = error instanceof Error ? error.message : String(error);
    jobs.fail(job.id, attempting, code, message);
    return result('failed', { code, message });
  }
}

/**
 * A second key for a device ID that already has a live request or certificate is refused before
 * anything is issued: from the same run (or still in flight) it is a conflict between two inputs;
 * from an earlier run, a device already enrolled that only `--force` enrolls again.
 */
function refuseSecondKey(previous: JobRow, deviceId: string, input: CsrFileJobInput): void {
  const other = inputName(previous.port);
  const sameRun = input.batchId !== undefined && previous.batchId === input.batchId;
  if (previous.status === 'done' && !sameRun) {
    if (input.force) return;
    throw new EnrollerError('DEVICE_ALREADY_ENROLLED', `${deviceId} is already enrolled with another key (from ${other}); enroll it again only on purpose (--force).`, { deviceId, enrolledFrom: other });
  }
  const state = previous.status === 'running' ? 'unfinished' : previous.status === 'failed' ? 'holding a certificate not yet written out' : previous.status;
  const why = sameRun ? `${other} in this run already names it` : `${other} has a request for it that is ${state}`;
  throw new EnrollerError('DEVICE_ID_CONFLICT', `${input.file} is device ${deviceId} with another key, and ${why}; nothing was issued for ${input.file}. One device ID gets one certificate: check the CSR subjects.`, {
    deviceId,
    input: input.file,
    conflictsWith: other,
  });
}

/** Writes a job's certificate out as files, reads them back, and closes the job (written → done). */
export function exportCertificate(input: { jobs: JobStore; audit: AuditLog; jobId: number; outDir: string; deviceId: string; certDer: Uint8Array; publicKeySpki: Uint8Array; chainPem: string; file: string; actor: string }): { certFile: string; message?: string } {
  const leaf = new x509.X509Certificate(input.certDer.slice());
  const { collidedWith, ...files } = writeCertificateFiles(input.outDir, input.deviceId, input.certDer, leaf.toString('pem'), input.chainPem);
  input.jobs.advance(input.jobId, 'written', { written: files }, () =>
    input.audit.append('certificate.exported', input.deviceId, { serial: leaf.serialNumber, files, ...(collidedWith ? { collidedWith } : {}) }, input.actor),
  );
  const readBack = new x509.X509Certificate(new Uint8Array(fs.readFileSync(files.der)));
  if (!Buffer.from(readBack.rawData).equals(Buffer.from(input.certDer)) || !Buffer.from(readBack.publicKey.rawData).equals(Buffer.from(input.publicKeySpki))) {
    throw new EnrollerError('MODEM_READBACK_MISMATCH', `The certificate file for ${input.deviceId} does not read back as written.`);
  }
  input.jobs.advance(input.jobId, ['verified', 'done'], {}, () => input.audit.append('device.provisioned', input.deviceId, { serial: leaf.serialNumber, csrFile: input.file }, input.actor));
  if (!collidedWith) return { certFile: files.pem };
  return { certFile: files.pem, message: `${path.basename(collidedWith)} already holds a certificate for another key and was left as it is; this one is ${path.basename(files.pem)}.` };
}
