// One nRF91 through the flow: identified → approved → csr → enrolled → written → verified → done.
// Each step's result is committed before the next side effect, so a rerun resumes: a stored CSR
// is never generated again, a stored certificate never requested again.
import { EnrollerError, isEnrollerError } from '../../../shared/errors';
import type { DeviceTypeDocument } from '../../../shared/device-type';
import { CredentialType, type Nrf91Modem } from '../../devices/nrf91/modem';
import type { Enroller } from '../../enroll/enroller';
import { x509 } from '../../pki/crypto';
import { deviceIdFor } from '../../pki/device-type/naming';
import { pemCertificateBlocks } from '../../pki/pem';
import type { AuditLog } from '../../store/audit-log';
import type { Db } from '../../store/database';
import { markWaiting, type JobRow, type JobStore, type Step } from '../../store/job-store';
import type { QueueStore } from '../../store/queue-store';
import type { Approvals } from '../approvals/approvals';
import type { CredentialPool, Reservation } from '../bundles/credential-pool';
import crypto from 'node:crypto';
import { isTransient } from '../../enroll/transient';
import { JobRun, outcome } from './job-end';

export interface JobOutcome {
  readonly port: string;
  readonly deviceId: string | undefined;
  readonly petName?: string | undefined;
  readonly status: 'verified' | 'waiting' | 'failed';
  readonly certSerial: string | undefined;
  readonly issuer: string | undefined;
  readonly code: string | undefined;
  readonly message: string | undefined;
}

/** What a running job reports as it goes (the batch turns it into `device:changed`). */
export interface JobProgress {
  readonly step: Step;
  readonly deviceId: string | undefined;
  readonly petName?: string | undefined;
  readonly imei?: string;
}

export interface Nrf91JobInput {
  readonly port: string;
  readonly modem: Nrf91Modem;
  readonly deviceType: DeviceTypeDocument;
  readonly profile: { readonly name: string; readonly enroller: Enroller; readonly trustPem?: string | undefined };
  /** PEM text the device type's caCerts sources refer to. */
  readonly pems: { readonly root: string; readonly issuingChain: string };
  readonly db: Db;
  readonly jobs: JobStore;
  readonly queue: QueueStore;
  readonly approvals: Approvals;
  /** One-time enrollment credentials from the profile's bundles, if it has any. */
  readonly credentials?: CredentialPool | undefined;
  /** Opens sealed bundle credentials. */
  readonly passphrase?: string | undefined;
  /** The pet name the technician gave (typed or scanned) for the device on this port. */
  readonly petName?: string | undefined;
  /** The IMEI on the label scanned for this port: checked before anything is written. */
  readonly expectedImei?: string | undefined;
  readonly audit: AuditLog;
  /** The embedded CA, for birth certificates while a remote service is out of reach. */
  readonly fallback?: { readonly name: string; readonly enroller: Enroller } | undefined;
  /** Aborts the device's work; an EnrollerError as the reason becomes the job's error. */
  readonly signal?: AbortSignal;
  /** Awaited before each step's side effect: where a paused batch holds its devices. */
  readonly checkpoint?: (step: Step) => Promise<void>;
  readonly onProgress?: (progress: JobProgress) => void;
  readonly batchId?: string;
  /** Enroll again a device that is already done. */
  readonly force?: boolean;
  /** Who is running it, for the audit log. */
  readonly actor?: string;
}

export async function runNrf91Job(input: Nrf91JobInput): Promise<JobOutcome> {
  const { jobs, modem, deviceType } = input;
  const secTags = deviceType.secTags;
  const actor = input.actor ?? 'station';
  const newJob = { port: input.port, deviceType: deviceType.name, profile: input.profile.name, batchId: input.batchId };
  // The row is opened once the device is identified; a device that cannot be reached or
  // identified gets a failed row of its own.
  const options = input.signal ? { signal: input.signal } : {};
  const run = new JobRun(input);
  const reached = (next: JobRow) => run.reached(next);
  const enter = (step: Step) => run.enter(step);
  try {
    if (!secTags) throw new EnrollerError('DEVICE_TYPE_INVALID', `Device type ${deviceType.name} has no sec tags for an nRF91.`);
    await enter('identified');
    await modem.connect(options);
    const identity = await modem.identify(options);
    if (input.expectedImei && identity.imei !== input.expectedImei) {
      throw new EnrollerError(
        'DEVICE_IDENTITY_MISMATCH',
        `The label scanned for this port says IMEI ${input.expectedImei}, but the device reports ${identity.imei}. Nothing was written: check which device is in this slot, scan again, then retry.`,
        { expected: input.expectedImei, reported: identity.imei },
      );
    }
    const id = (run.deviceId = deviceIdFor(deviceType, { imei: identity.imei, ...(identity.deviceUuid ? { uuid: identity.deviceUuid } : {}) }));
    const previous = jobs.latestFor(id);
    // A certificate the sync worker obtained while this device was away is delivered now.
    const owed = input.force ? undefined : input.queue.owedTo(id);
    if (previous?.status === 'done' && !input.force && !owed) {
      // Recognised by ID: already enrolled, verified and recorded. Not enrolled a second time.
      reached(jobs.start({ ...newJob, deviceId: id }, ['identified', 'done'], { result: { ...(previous.certSerial ? { certSerial: previous.certSerial } : {}), ...(previous.certIssuer ? { certIssuer: previous.certIssuer } : {}) } }));
      return outcome(input.port, id, 'verified', previous.certSerial, previous.certIssuer, 'DEVICE_ALREADY_ENROLLED', 'Already enrolled and verified earlier; nothing was changed.', input.approvals.petNameOf(id));
    }
    await enter('approved');
    const name = (run.petName = input.approvals.petNameFor(id, input.petName));
    // Identified and approved in one commit: nothing touches the device between the two. The
    // approval (ID + pet name) is owed to the registration sink in the same commit.
    reached(
      jobs.start({ ...newJob, deviceId: id }, ['identified', 'approved'], { inheritFrom: previous && (previous.status !== 'done' || owed) && !input.force ? previous : undefined }, () => {
        jobs.upsertDevice({ deviceId: id, deviceType: deviceType.name, imei: identity.imei, uuid: identity.deviceUuid });
        input.approvals.record(id, name, { imei: identity.imei, uuid: identity.deviceUuid ?? null, deviceType: deviceType.name, port: input.port, operator: actor });
        input.audit.append('device.approved', id, { port: input.port, imei: identity.imei, petName: name }, actor);
      }),
    );
    let current = run.job!;
    if (owed) {
      current = jobs.advance(current.id, 'enrolled', { csrDer: owed.csrDer, certDer: owed.certDer!, certSerial: owed.certSerial!, ...(owed.certDer ? { certIssuer: new x509.X509Certificate(owed.certDer.slice()).issuer } : {}) });
    }
    let birth = false;

    const result = await modem.withOffline(async () => {
      if (current.csrDer && current.keySha256) {
        // Resuming with a stored CSR: only if the device still holds the key it was made from.
        const [key] = await modem.list(secTags.client, CredentialType.clientKey, options);
        if (key?.sha256 !== current.keySha256) {
          current = jobs.dropStaleKey(current.id);
          input.audit.append('csr.superseded', id, { reason: 'the key in the device changed since the CSR was stored' }, actor);
        }
      }
      if (!current.csrDer) {
        await enter('csr');
        const key = await modem.generateKey(secTags.client, `CN=${id}`, identity.deviceUuid, options);
        const [listed] = await modem.list(secTags.client, CredentialType.clientKey, options);
        if (!listed) throw new EnrollerError('MODEM_KEYGEN_FAILED', 'The modem reported a new key but does not list it.');
        reached((current = jobs.advance(current.id, 'csr', { csrDer: key.csr.der, keyEvidence: key.cose, keySha256: listed.sha256 }, () => input.audit.append('csr.generated', id, { secTag: secTags.client }, actor))));
      }
      if (!current.certDer) {
        await enter('enrolled');
        const context = { deviceId: id, deviceType, attributes: { imei: identity.imei, deviceId: id }, ...options };
        let enrolled: Awaited<ReturnType<Enroller['enroll']>>;
        const pool = input.credentials?.hasBundles(input.profile.name) ? input.credentials : undefined;
        const reservation: Reservation | undefined = pool?.reserve(input.profile.name, id, input.passphrase, actor);
        try {
          enrolled = await input.profile.enroller.enroll(current.csrDer!, { ...context, ...(reservation ? { credential: { password: reservation.secret } } : {}) });
        } catch (error) {
          if (reservation && pool && isEnrollerError(error)) {
            // Refused by the service: the credential is burnt. Not reached: it stays with this device
            // for the queue. Anything else: the device gives it back.
            if (error.code === 'ENROLL_UNAUTHORIZED') pool.refuse(reservation.id, actor);
            else if (!isTransient(error.code)) pool.release(reservation.id, actor);
          }
          if (!isEnrollerError(error) || !isTransient(error.code) || input.profile.enroller.protocol === 'local') throw error;
          // The service is out of reach: the CSR goes into the queue (the record of what is owed),
          // and the device type's offline policy decides what the device gets now.
          input.queue.enqueue({ kind: 'device', deviceId: id, deviceType: deviceType.name, profile: input.profile.name, jobId: current.id, csrDer: current.csrDer!, code: error.code, message: error.message });
          const offline = deviceType.offline;
          if (offline.policy !== 'birth' || !offline.localCaAllowed || !input.fallback) {
            markWaiting(input.db, current.id, 'Queued: the service cannot be reached. The certificate is written when the device is plugged in again after the queue syncs.');
            return 'waiting' as const;
          }
          enrolled = await input.fallback.enroller.enroll(current.csrDer!, { ...context, kind: 'birth' });
          birth = true;
        }
        if (enrolled.status === 'pending') {
          input.queue.enqueue({ kind: 'device', deviceId: id, deviceType: deviceType.name, profile: input.profile.name, jobId: current.id, csrDer: current.csrDer!, txn: enrolled.transaction, code: 'ENROLL_PENDING', message: 'The service has not issued it yet.' });
          markWaiting(input.db, current.id, `Waiting for the service (retry in ${enrolled.retryAfterSeconds} s).`);
          return 'waiting' as const;
        }
        const issued = enrolled.certificate;
        reached(
          (current = jobs.advance(
            current.id,
            'enrolled',
            { certSerial: issued.serialNumber, certIssuer: issued.issuer, certDer: new Uint8Array(issued.rawData) },
            () => {
              // The credential is spent in the same commit that records what it bought.
              if (reservation && pool && !birth) pool.consume(reservation.id, id, crypto.createHash('sha256').update(current.csrDer!).digest('hex'), actor);
            },
          )),
        );
      }
      const leaf = new x509.X509Certificate(current.certDer!);
      await enter('written');
      const clientPem = [leaf.toString('pem'), ...pemCertificateBlocks(input.pems.issuingChain).slice(0, 1)].join('\n');
      const written: Record<string, string> = {};
      written[`${secTags.client}/${CredentialType.clientCert}`] = (await modem.write(secTags.client, CredentialType.clientCert, clientPem, { ...options, deleteFirst: true })).sha256;
      for (const slot of secTags.caCerts) {
        const content = slot.certificates.map((source) => (typeof source === 'object' ? source.pem : source === 'root' ? input.pems.root : source === 'issuing-chain' ? input.pems.issuingChain : (input.profile.trustPem ?? ''))).join('\n');
        written[`${slot.secTag}/${CredentialType.rootCa}`] = (await modem.write(slot.secTag, CredentialType.rootCa, content, { ...options, deleteFirst: true })).sha256;
      }
      reached((current = jobs.advance(current.id, 'written', { written }, () => input.audit.append('credentials.written', id, { written }, actor))));

      await enter('verified');
      for (const [slot, sha] of Object.entries(written)) {
        const [tag, type] = slot.split('/').map(Number) as [number, number];
        await modem.verifyStored(tag, type, sha, options);
      }
      // The certificate carries the CSR's key, and the device still holds that very key.
      const csrKey = new x509.Pkcs10CertificateRequest(current.csrDer!.slice()).publicKey.rawData;
      if (!Buffer.from(leaf.publicKey.rawData).equals(Buffer.from(csrKey))) {
        throw new EnrollerError('MODEM_READBACK_MISMATCH', 'The written certificate does not carry the key the modem generated.');
      }
      if (current.keySha256) await modem.verifyStored(secTags.client, CredentialType.clientKey, current.keySha256, options);
      return 'verified' as const;
    }, options);
    if (result === 'waiting') return outcome(input.port, id, 'waiting', undefined, undefined, undefined, 'Waiting for a certificate from the service.', run.petName);
    // Verified and done in one commit, once the modem is back online: a crash before it only
    // repeats the (idempotent, delete-first) writes and the readback.
    reached(
      jobs.advance(current.id, ['verified', 'done'], {}, () => {
        jobs.upsertDevice({ deviceId: id, deviceType: deviceType.name, mode: birth || deviceType.certificate.kind === 'birth' ? 'FACTORY' : 'OPERATIONAL' });
        input.audit.append('device.provisioned', id, { serial: current.certSerial, port: input.port, ...(birth ? { birth: true } : {}), ...(owed ? { fromQueue: owed.id } : {}) }, actor);
        if (owed) input.queue.delivered(owed.id);
      }),
    );
    if (birth) {
      return outcome(input.port, id, 'verified', current.certSerial, current.certIssuer, 'ENROLL_QUEUED', 'Factory (birth) certificate written and verified; the operational certificate is queued until the service is back.', run.petName);
    }
    return outcome(input.port, id, 'verified', current.certSerial, current.certIssuer, undefined, undefined, run.petName);
  } catch (caught) {
    return run.failed(jobs, newJob, caught, input.port);
  }
}
