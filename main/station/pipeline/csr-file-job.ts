// One CSR file through the flow: identified (device ID from its subject) → approved → csr →
// enrolled → written (certificate files out) → verified (files read back) → done. A rerun after a
// crash re-exports a stored certificate instead of asking for another one.
import fs from 'node:fs';
import { EnrollerError, isEnrollerError } from '../../../shared/errors';
import type { DeviceTypeDocument } from '../../../shared/device-type';
import { readCsrFile, writeCertificateFiles } from '../../devices/files/csr-files';
import type { Enroller } from '../../enroll/enroller';
import { x509 } from '../../pki/crypto';
import { intakeCsr } from '../../pki/csr-intake';
import type { AuditLog } from '../../store/audit-log';
import type { Db } from '../../store/database';
import { markWaiting, type JobStore, type Step } from '../../store/job-store';
import type { QueueStore } from '../../store/queue-store';
import { isTransient } from '../../enroll/transient';

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
}

export async function runCsrFileJob(input: CsrFileJobInput): Promise<CsrFileOutcome> {
  const { jobs } = input;
  const actor = input.actor ?? 'station';
  let job = jobs.create(`file:${input.file}`, input.deviceType.name, input.profile.name);
  let attempting: Step = 'identified';
  const result = (status: CsrFileOutcome['status'], extra: Partial<CsrFileOutcome> = {}): CsrFileOutcome => ({
    csr: input.file,
    deviceId: job.deviceId ?? undefined,
    status,
    certFile: undefined,
    certSerial: job.certSerial ?? undefined,
    code: undefined,
    message: undefined,
    ...extra,
  });
  try {
    const csr = await intakeCsr(readCsrFile(input.file), { keyPolicy: input.deviceType.keyPolicy });
    const deviceId = csr.subjectFields.CN ?? csr.subjectFields.serialNumber;
    if (!deviceId) throw new EnrollerError('CSR_SUBJECT_INVALID', 'The request names no device: its subject has no CN or serialNumber.');
    const sameKey = (der: Uint8Array | null) => der !== null && Buffer.from(new x509.Pkcs10CertificateRequest(der.slice()).publicKey.rawData).equals(Buffer.from(csr.publicKeySpki));
    const previous = jobs.latestFor(deviceId);
    job = jobs.advance(job.id, 'identified', { deviceId }, () => jobs.upsertDevice({ deviceId, deviceType: input.deviceType.name }));
    if (previous?.status === 'done' && !sameKey(previous.csrDer) && !input.force) {
      throw new EnrollerError('DEVICE_ALREADY_ENROLLED', `${deviceId} is already enrolled with another key; enroll it again only on purpose (--force).`);
    }
    if (previous && sameKey(previous.csrDer)) job = jobs.inherit(job.id, previous);

    attempting = 'approved';
    job = jobs.advance(job.id, 'approved', {}, () => input.audit.append('device.approved', deviceId, { csrFile: input.file }, actor));
    attempting = 'csr';
    if (!job.csrDer) job = jobs.advance(job.id, 'csr', { csrDer: csr.der }, () => input.audit.append('csr.received', deviceId, { file: input.file, key: csr.keyFingerprint }, actor));

    attempting = 'enrolled';
    if (!job.certDer) {
      const queued = (code: string, message: string, txn?: string) => {
        input.queue.enqueue({ kind: 'csr-file', deviceId, deviceType: input.deviceType.name, profile: input.profile.name, jobId: job.id, csrDer: job.csrDer!, csrFile: input.file, outDir: input.outDir, code, message, ...(txn ? { txn } : {}) });
        markWaiting(input.db, job.id, message);
        return result('pending', { code: 'ENROLL_QUEUED', message: `Queued (${message}) — \`enroller queue sync\` writes the certificate to ${input.outDir} when the service answers.` });
      };
      let enrolled: Awaited<ReturnType<Enroller['enroll']>>;
      try {
        enrolled = await input.profile.enroller.enroll(job.csrDer!, { deviceId, deviceType: input.deviceType, attributes: { deviceId }, ...(input.signal ? { signal: input.signal } : {}) });
      } catch (error) {
        if (isEnrollerError(error) && isTransient(error.code) && input.profile.enroller.protocol !== 'local') return queued(error.code, error.message);
        throw error;
      }
      if (enrolled.status === 'pending') return queued('ENROLL_PENDING', `the service has not issued it yet; ask again in ${enrolled.retryAfterSeconds} s`, enrolled.transaction);
      job = jobs.advance(job.id, 'enrolled', { certSerial: enrolled.certificate.serialNumber, certIssuer: enrolled.certificate.issuer, certDer: new Uint8Array(enrolled.certificate.rawData) });
    }
    attempting = 'written';
    const certFile = exportCertificate({ jobs, audit: input.audit, jobId: job.id, outDir: input.outDir, deviceId, certDer: job.certDer!, publicKeySpki: csr.publicKeySpki, chainPem: input.chainPem, file: input.file, actor });
    job = jobs.get(job.id);
    return result('issued', { certFile });
  } catch (error) {
    const code = isEnrollerError(error) ? error.code : 'INTERNAL';
    const message = error instanceof Error ? error.message : String(error);
    jobs.fail(job.id, attempting, code, message);
    return result('failed', { code, message });
  }
}

/** Writes a job's certificate out as files, reads them back, and closes the job (written → done). */
export function exportCertificate(input: { jobs: JobStore; audit: AuditLog; jobId: number; outDir: string; deviceId: string; certDer: Uint8Array; publicKeySpki: Uint8Array; chainPem: string; file: string; actor: string }): string {
  const leaf = new x509.X509Certificate(input.certDer.slice());
  const files = writeCertificateFiles(input.outDir, input.deviceId, input.certDer, leaf.toString('pem'), input.chainPem);
  input.jobs.advance(input.jobId, 'written', { written: files }, () => input.audit.append('certificate.exported', input.deviceId, { serial: leaf.serialNumber, files }, input.actor));
  const readBack = new x509.X509Certificate(new Uint8Array(fs.readFileSync(files.der)));
  if (!Buffer.from(readBack.rawData).equals(Buffer.from(input.certDer)) || !Buffer.from(readBack.publicKey.rawData).equals(Buffer.from(input.publicKeySpki))) {
    throw new EnrollerError('MODEM_READBACK_MISMATCH', `The certificate file for ${input.deviceId} does not read back as written.`);
  }
  input.jobs.advance(input.jobId, ['verified', 'done'], {}, () => input.audit.append('device.provisioned', input.deviceId, { serial: leaf.serialNumber, csrFile: input.file }, input.actor));
  return files.pem;
}
