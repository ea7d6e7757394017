// The sync worker: drains the offline queue once the service answers. Bounded concurrency,
// exponential backoff per item, pending items polled, and idempotent — a row leaves
// queued/pending only in the same commit that stores its certificate, so a second sync (or a
// crash and rerun) never asks for that CSR again. Every item ends synced or with a coded error.
// Asking uses the pipeline's one request step; a CSR file's certificate is then delivered through
// the pipeline's runner like any device's (a device's waits until it is plugged in again).
import { isEnrollerError } from '../../../shared/errors';
import { backoffMs, isTransient } from '../../enroll/transient';
import type { x509 } from '../../pki/crypto';
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
  const sync = new QueueSync(station, options);
  const items = sync.queue.due(new Date(), options.force ?? true);
  const outcomes: SyncOutcome[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const outcome = await sync.one(items[next++]!);
      outcomes.push(outcome);
      options.onItem?.(outcome);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 4, items.length) }, worker));
  // Approvals waiting for the registration sink travel with the same sync.
  await station.approvals.forward(sync.actor);
  return outcomes.sort((a, b) => a.id - b.id);
}

/** One sync round: the profiles it opened, and how one item is asked for, recorded and delivered. */
class QueueSync {
  readonly queue: QueueStore;
  readonly actor: string;
  readonly #station: Station;
  readonly #options: SyncOptions;
  readonly #jobs: JobStore;
  readonly #profiles = new Map<string, Promise<ActiveProfile>>();

  constructor(station: Station, options: SyncOptions) {
    this.#station = station;
    this.#options = options;
    this.queue = new QueueStore(station.db);
    this.#jobs = new JobStore(station.db);
    this.actor = options.actor ?? 'sync';
  }

  async one(item: QueueItem): Promise<SyncOutcome> {
    const base = {
      id: item.id,
      kind: item.kind,
      deviceId: item.deviceId,
      csr: item.csrFile ?? undefined,
      certFile: undefined,
    };
    try {
      const profile = await this.#profile(item.profile);
      const result = await requestCertificate({
        enroller: profile.enroller,
        profile: item.profile,
        deviceId: item.deviceId,
        csrDer: item.csrDer,
        context: {
          deviceId: item.deviceId,
          deviceType: this.#station.deviceTypes.get(item.deviceType),
          attributes: { deviceId: item.deviceId },
        },
        txn: item.txn,
        credentials: this.#station.credentials,
        passphrase: this.#options.passphrase,
        actor: this.actor,
      });
      if (result.status === 'pending') {
        this.queue.retryLater(
          item.id,
          'ENROLL_PENDING',
          'The service has not issued it yet.',
          result.retryAfterSeconds * 1000,
          result.transaction,
        );
        const message = `Still pending at the service; asked again in ${result.retryAfterSeconds} s.`;
        return { ...base, status: 'pending', certSerial: undefined, code: 'ENROLL_PENDING', message };
      }
      const serial = this.#record(item, result.certificate, result.spend);
      if (item.kind === 'device') {
        const message = 'Certificate obtained; it is written when the device is plugged in again.';
        return { ...base, status: 'issued', certSerial: serial, code: undefined, message };
      }
      return { ...base, ...(await deliverFile(this.#station, item, profile, this.#jobs, this.queue, this.actor)) };
    } catch (error) {
      return { ...base, ...this.#unanswered(item, error) };
    }
  }

  #profile(name: string): Promise<ActiveProfile> {
    if (!this.#profiles.has(name))
      this.#profiles.set(name, this.#station.profiles.activate(name, this.#options.passphrase, this.actor));
    return this.#profiles.get(name)!;
  }

  /** The item leaves the queue (synced) in the commit that stores its certificate and spends its credential. */
  #record(item: QueueItem, issued: x509.X509Certificate, spend: () => void): string {
    const certificate = { der: new Uint8Array(issued.rawData), serial: issued.serialNumber, issuer: issued.issuer };
    this.queue.synced(item.id, certificate, () => {
      spend();
      const result = { certDer: certificate.der, certSerial: certificate.serial, certIssuer: certificate.issuer };
      if (item.jobId !== null) this.#jobs.advance(item.jobId, 'enrolled', result);
      const details = { queueId: item.id, serial: certificate.serial, profile: item.profile };
      this.#station.audit.append('queue.synced', item.deviceId, details, this.actor);
    });
    return certificate.serial;
  }

  /** Out of reach: asked again after a backoff. Refused: the item (and its job) fail with the code. */
  #unanswered(item: QueueItem, error: unknown): Pick<SyncOutcome, 'status' | 'certSerial' | 'code' | 'message'> {
    const code = isEnrollerError(error) ? error.code : 'INTERNAL';
    const message = error instanceof Error ? error.message : String(error);
    if (isTransient(code)) {
      const delay = backoffMs(item.attempts);
      this.queue.retryLater(item.id, code, message, delay);
      return {
        status: 'pending',
        certSerial: undefined,
        code,
        message: `${message} Still queued; next try in ${Math.round(delay / 1000)} s.`,
      };
    }
    this.queue.failed(item.id, code, message);
    if (item.jobId !== null) this.#jobs.fail(item.jobId, 'enrolled', code, message);
    return { status: 'failed', certSerial: undefined, code, message };
  }
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
