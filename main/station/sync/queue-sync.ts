// The sync worker: drains the offline queue once the service answers. Bounded concurrency,
// exponential backoff per item, pending items polled, and idempotent — a row leaves
// queued/pending only in the same commit that stores its certificate, so a second sync (or a
// crash and rerun) never asks for that CSR again. Every item ends synced or with a coded error.
import crypto from 'node:crypto';
import { isEnrollerError } from '../../../shared/errors';
import { backoffMs, isTransient } from '../../enroll/transient';
import { x509 } from '../../pki/crypto';
import { JobStore } from '../../store/job-store';
import { QueueStore, type QueueItem } from '../../store/queue-store';
import { exportCertificate } from '../pipeline/csr-file-job';
import type { ActiveProfile } from '../profiles';
import type { Station } from '../station';

export interface SyncOutcome {
  readonly id: number;
  readonly kind: QueueItem['kind'];
  readonly deviceId: string;
  readonly csr: string | undefined;
  /** issued: certificate obtained (and, for CSR files, written); pending: try again later. */
  readonly status: 'issued' | 'pending' | 'failed';
  readonly certSerial: string | undefined;
  readonly certFile: string | undefined;
  readonly code: string | undefined;
  readonly message: string | undefined;
}

export interface SyncOptions {
  readonly passphrase?: string | undefined;
  readonly concurrency?: number;
  /** Try every open item now, ignoring each one's backoff (an operator's "sync now"). */
  readonly force?: boolean;
  readonly actor?: string;
  readonly onItem?: (outcome: SyncOutcome) => void;
}

export async function syncQueue(station: Station, options: SyncOptions = {}): Promise<SyncOutcome[]> {
  const queue = new QueueStore(station.db);
  const jobs = new JobStore(station.db);
  const actor = options.actor ?? 'sync';
  const items = queue.due(new Date(), options.force ?? true);
  const profiles = new Map<string, Promise<ActiveProfile>>();
  const profileOf = (name: string) => {
    if (!profiles.has(name)) profiles.set(name, station.profiles.activate(name, options.passphrase, actor));
    return profiles.get(name)!;
  };
  const outcomes: SyncOutcome[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      const outcome = await syncOne(item);
      outcomes.push(outcome);
      options.onItem?.(outcome);
    }
  };

  async function syncOne(item: QueueItem): Promise<SyncOutcome> {
    const base = { id: item.id, kind: item.kind, deviceId: item.deviceId, csr: item.csrFile ?? undefined, certFile: undefined };
    try {
      const profile = await profileOf(item.profile);
      const deviceType = station.deviceTypes.get(item.deviceType);
      const context = { deviceId: item.deviceId, deviceType, attributes: { deviceId: item.deviceId } };
      const pool = !item.txn && station.credentials.hasBundles(item.profile) ? station.credentials : undefined;
      const reservation = pool?.reserve(item.profile, item.deviceId, options.passphrase, actor);
      let result;
      try {
        result = item.txn ? await profile.enroller.poll(item.txn, context) : await profile.enroller.enroll(item.csrDer, { ...context, ...(reservation ? { credential: { password: reservation.secret } } : {}) });
      } catch (error) {
        if (reservation && pool && isEnrollerError(error)) {
          if (error.code === 'ENROLL_UNAUTHORIZED') pool.refuse(reservation.id, actor);
          else if (!isTransient(error.code)) pool.release(reservation.id, actor);
        }
        throw error;
      }
      if (result.status === 'pending') {
        queue.retryLater(item.id, 'ENROLL_PENDING', 'The service has not issued it yet.', result.retryAfterSeconds * 1000, result.transaction);
        return { ...base, status: 'pending', certSerial: undefined, code: 'ENROLL_PENDING', message: `Still pending at the service; asked again in ${result.retryAfterSeconds} s.` };
      }
      const certificate = { der: new Uint8Array(result.certificate.rawData), serial: result.certificate.serialNumber, issuer: result.certificate.issuer };
      queue.synced(item.id, certificate, () => {
        if (reservation && pool) pool.consume(reservation.id, item.deviceId, crypto.createHash('sha256').update(item.csrDer).digest('hex'), actor);
        if (item.jobId !== null) jobs.advance(item.jobId, 'enrolled', { certDer: certificate.der, certSerial: certificate.serial, certIssuer: certificate.issuer });
        station.audit.append('queue.synced', item.deviceId, { queueId: item.id, serial: certificate.serial, profile: item.profile }, actor);
      });
      if (item.kind === 'device') {
        return { ...base, status: 'issued', certSerial: certificate.serial, code: undefined, message: 'Certificate obtained; it is written when the device is plugged in again.' };
      }
      const chain = await station.profiles.chainOf(profile);
      const { certFile } = exportCertificate({
        jobs,
        audit: station.audit,
        jobId: item.jobId!,
        outDir: item.outDir!,
        deviceId: item.deviceId,
        certDer: certificate.der,
        publicKeySpki: new Uint8Array(new x509.Pkcs10CertificateRequest(item.csrDer.slice()).publicKey.rawData),
        chainPem: chain.issuingChain,
        file: item.csrFile ?? '',
        actor,
      });
      queue.delivered(item.id);
      return { ...base, status: 'issued', certSerial: certificate.serial, certFile, code: undefined, message: undefined };
    } catch (error) {
      const code = isEnrollerError(error) ? error.code : 'INTERNAL';
      const message = error instanceof Error ? error.message : String(error);
      if (isTransient(code)) {
        queue.retryLater(item.id, code, message, backoffMs(item.attempts));
        return { ...base, status: 'pending', certSerial: undefined, code, message: `${message} Still queued; next try in ${Math.round(backoffMs(item.attempts) / 1000)} s.` };
      }
      queue.failed(item.id, code, message);
      if (item.jobId !== null) jobs.fail(item.jobId, 'enrolled', code, message);
      return { ...base, status: 'failed', certSerial: undefined, code, message };
    }
  }

  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 4, items.length) }, worker));
  // Approvals waiting for the registration sink travel with the same sync.
  await station.approvals.forward(actor);
  return outcomes.sort((a, b) => a.id - b.id);
}
