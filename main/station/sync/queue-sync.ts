// The sync worker: drains the offline queue once the service answers. Bounded concurrency,
// exponential backoff per item, pending items polled, and idempotent — a row leaves
// queued/pending only in the same commit that stores its certificate, so a second sync (or a
// crash and rerun) never asks for that CSR again. Every item ends synced or with a coded error.
// Asking uses the pipeline's one request step; a CSR file's certificate is then delivered through
// the pipeline's runner like any device's (a device's waits until it is plugged in again).
import { isEnrollerError } from '../../../shared/errors';
import { backoffMs, isTransient } from '../../enroll/transient';
import { JobStore } from '../../store/job-store';
import { QueueStore, type QueueItem } from '../../store/queue-store';
import { CsrFileAdapter, csrFileOutcome } from '../pipeline/adapters/csr-file-adapter';
import { requestCertificate } from '../pipeline/obtain-certificate';
import { runDeviceJob } from '../pipeline/run-device-job';
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
    const base = {
      id: item.id,
      kind: item.kind,
      deviceId: item.deviceId,
      csr: item.csrFile ?? undefined,
      certFile: undefined,
    };
    try {
      const profile = await profileOf(item.profile);
      const deviceType = station.deviceTypes.get(item.deviceType);
      const result = await requestCertificate({
        enroller: profile.enroller,
        profile: item.profile,
        deviceId: item.deviceId,
        csrDer: item.csrDer,
        context: { deviceId: item.deviceId, deviceType, attributes: { deviceId: item.deviceId } },
        txn: item.txn,
        credentials: station.credentials,
        passphrase: options.passphrase,
        actor,
      });
      if (result.status === 'pending') {
        queue.retryLater(
          item.id,
          'ENROLL_PENDING',
          'The service has not issued it yet.',
          result.retryAfterSeconds * 1000,
          result.transaction,
        );
        return {
          ...base,
          status: 'pending',
          certSerial: undefined,
          code: 'ENROLL_PENDING',
          message: `Still pending at the service; asked again in ${result.retryAfterSeconds} s.`,
        };
      }
      const certificate = {
        der: new Uint8Array(result.certificate.rawData),
        serial: result.certificate.serialNumber,
        issuer: result.certificate.issuer,
      };
      queue.synced(item.id, certificate, () => {
        result.spend();
        if (item.jobId !== null)
          jobs.advance(item.jobId, 'enrolled', {
            certDer: certificate.der,
            certSerial: certificate.serial,
            certIssuer: certificate.issuer,
          });
        station.audit.append(
          'queue.synced',
          item.deviceId,
          { queueId: item.id, serial: certificate.serial, profile: item.profile },
          actor,
        );
      });
      if (item.kind === 'device') {
        return {
          ...base,
          status: 'issued',
          certSerial: certificate.serial,
          code: undefined,
          message: 'Certificate obtained; it is written when the device is plugged in again.',
        };
      }
      return { ...base, ...(await deliverFile(station, item, profile, jobs, queue, actor)) };
    } catch (error) {
      const code = isEnrollerError(error) ? error.code : 'INTERNAL';
      const message = error instanceof Error ? error.message : String(error);
      if (isTransient(code)) {
        queue.retryLater(item.id, code, message, backoffMs(item.attempts));
        return {
          ...base,
          status: 'pending',
          certSerial: undefined,
          code,
          message: `${message} Still queued; next try in ${Math.round(backoffMs(item.attempts) / 1000)} s.`,
        };
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

/** A CSR file's certificate, just obtained, written out to the folder its enroll command named. */
async function deliverFile(
  station: Station,
  item: QueueItem,
  profile: ActiveProfile,
  jobs: JobStore,
  queue: QueueStore,
  actor: string,
): Promise<Omit<SyncOutcome, 'id' | 'kind' | 'deviceId' | 'csr'>> {
  const chain = await station.profiles.chainOf(profile);
  const deviceType = station.deviceTypes.get(item.deviceType);
  const file = item.csrFile ?? '';
  const adapter = new CsrFileAdapter({
    file,
    outDir: item.outDir!,
    deviceType,
    chainPem: chain.issuingChain,
    csrDer: item.csrDer,
  });
  const input = {
    port: `file:${file}`,
    deviceType,
    profile,
    db: station.db,
    jobs,
    queue,
    approvals: station.approvals,
    audit: station.audit,
    actor,
  };
  const delivered = csrFileOutcome(file, await runDeviceJob(input, adapter));
  return {
    status: delivered.status,
    certSerial: delivered.certSerial,
    certFile: delivered.certFile,
    code: delivered.code,
    message: delivered.message,
  };
}
