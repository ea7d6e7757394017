// One TPM 2.0 through the same flow as a modem: identified (from its EK) → approved → csr (a key
// made and persisted inside the TPM; the CSR built here and signed by the TPM) → enrolled →
// written (certificate into an NV index, and files when asked) → verified (NV read back
// byte-identical, the key still at its handle and certified) → done. Each step is committed
// before the next side effect; a rerun resumes, a stored CSR is reused only while the TPM still
// holds its key, a stored certificate is never requested again.
import crypto from 'node:crypto';
import { EnrollerError, isEnrollerError } from '../../../shared/errors';
import type { DeviceAttributes, DeviceTypeDocument } from '../../../shared/device-type';
import { writeCertificateFiles } from '../../devices/files/csr-files';
import { normalizeHandle, NV_INDEX_MAX_BYTES, type Tpm, type TpmKeyAlgorithm } from '../../devices/tpm/tpm';
import type { EnrollContext, Enroller } from '../../enroll/enroller';
import { isTransient } from '../../enroll/transient';
import { x509 } from '../../pki/crypto';
import { challengePasswordOf, verifyCsr } from '../../pki/csr';
import { deviceIdFor, resolveName } from '../../pki/device-type/naming';
import { buildCsr, type ExternalSigner } from '../../pki/external-signer';
import { verifyEkCertificate } from '../../pki/ek-trust';
import type { AuditLog } from '../../store/audit-log';
import type { Db } from '../../store/database';
import { markWaiting, type JobRow, type JobStore, type Step } from '../../store/job-store';
import type { QueueStore } from '../../store/queue-store';
import type { Approvals } from '../approvals/approvals';
import type { CredentialPool, Reservation } from '../bundles/credential-pool';
import type { JobOutcome, JobProgress } from './nrf91-job';
import { JobRun, outcome } from './job-end';

export interface TpmJobInput {
  /** The slot: the TPM's TCTI. */
  readonly port: string;
  readonly tpm: Tpm;
  readonly deviceType: DeviceTypeDocument;
  readonly profile: { readonly name: string; readonly enroller: Enroller; readonly challenge?: string | undefined };
  /** The issuing chain, written after the leaf in exported PEM files. */
  readonly chainPem: string;
  readonly db: Db;
  readonly jobs: JobStore;
  readonly queue: QueueStore;
  readonly approvals: Approvals;
  readonly audit: AuditLog;
  readonly fallback?: { readonly name: string; readonly enroller: Enroller } | undefined;
  /** One-time enrollment codes from the profile's bundles: a SCEP code goes into the CSR, an EST one into the request. */
  readonly credentials?: CredentialPool | undefined;
  /** Opens sealed bundle credentials. */
  readonly passphrase?: string | undefined;
  /** A serial number given for this device (label, traveller): an attribute for ID and subject. */
  readonly serial?: string | undefined;
  readonly petName?: string | undefined;
  /** Also export the certificate as `<deviceId>.pem` / `.der` here (and only here when NV cannot hold it). */
  readonly outDir?: string | undefined;
  readonly signal?: AbortSignal;
  readonly checkpoint?: (step: Step) => Promise<void>;
  readonly onProgress?: (progress: JobProgress) => void;
  readonly batchId?: string;
  readonly force?: boolean;
  readonly actor?: string;
}

/** An EK (certificate, else public key) fingerprint: 128 bits, so `tpm-{ekFingerprint}` fits a CN. */
export function ekFingerprint(ek: Uint8Array): string {
  return crypto.createHash('sha256').update(ek).digest('hex').slice(0, 32);
}

const sha256 = (bytes: Uint8Array) => crypto.createHash('sha256').update(bytes).digest('hex');

export async function runTpmJob(input: TpmJobInput): Promise<JobOutcome> {
  const { jobs, tpm, deviceType } = input;
  const settings = deviceType.tpm;
  const actor = input.actor ?? 'station';
  const newJob = { port: input.port, deviceType: deviceType.name, profile: input.profile.name, batchId: input.batchId };
  const options = input.signal ? { signal: input.signal } : {};
  const run = new JobRun(input);
  const reached = (next: JobRow) => run.reached(next);
  const enter = (step: Step) => run.enter(step);
  try {
    if (!settings) throw new EnrollerError('DEVICE_TYPE_INVALID', `Device type ${deviceType.name} has no TPM settings.`);
    const handle = normalizeHandle(settings.keyHandle);
    const algorithm: TpmKeyAlgorithm = settings.keyAlgorithm;
    const scep = input.profile.enroller.protocol === 'scep';
    const pool = input.credentials?.hasBundles(input.profile.name) ? input.credentials : undefined;
    await enter('identified');
    const ekCertificate = await tpm.readEkCertificate(options);
    // With the makers' roots configured, only a TPM whose EK certificate chains to one goes on.
    let ekChain: string[] | undefined;
    if (settings.ekTrust?.length) {
      if (!ekCertificate) throw new EnrollerError('TPM_EK_UNTRUSTED', 'This TPM has no endorsement key certificate, and the device type accepts only TPMs whose maker it trusts. Nothing was made or written.');
      ekChain = await verifyEkCertificate(ekCertificate, settings.ekTrust);
    }
    const attributes: DeviceAttributes = { ekFingerprint: ekFingerprint(ekCertificate ?? (await tpm.ekPublic(options))), ...(input.serial ? { serial: input.serial } : {}) };
    const id = (run.deviceId = deviceIdFor(deviceType, attributes));
    const named: DeviceAttributes = { ...attributes, deviceId: id };
    const previous = jobs.latestFor(id);
    if (previous?.status === 'done' && !input.force) {
      reached(jobs.start({ ...newJob, deviceId: id }, ['identified', 'done'], { result: { ...(previous.certSerial ? { certSerial: previous.certSerial } : {}), ...(previous.certIssuer ? { certIssuer: previous.certIssuer } : {}) } }));
      return outcome(input.port, id, 'verified', previous.certSerial, previous.certIssuer, 'DEVICE_ALREADY_ENROLLED', 'Already enrolled and verified earlier; nothing was changed.', input.approvals.petNameOf(id));
    }

    await enter('approved');
    const name = (run.petName = input.approvals.petNameFor(id, input.petName));
    reached(
      jobs.start({ ...newJob, deviceId: id }, ['identified', 'approved'], { inheritFrom: previous && previous.status !== 'done' && !input.force ? previous : undefined }, () => {
        jobs.upsertDevice({ deviceId: id, deviceType: deviceType.name });
        input.approvals.record(id, name, { tcti: input.port, ekCertificate: Boolean(ekCertificate), serial: input.serial ?? null, deviceType: deviceType.name, operator: actor });
        input.audit.append('device.approved', id, { tpm: input.port, ekCertificate: Boolean(ekCertificate), ...(ekChain ? { ekChain } : {}), petName: name }, actor);
      }),
    );
    let current = run.job!;

    if (current.csrDer && current.keySha256) {
      // Resuming with a stored CSR: only while the TPM still holds the very key it was made for.
      const present = (await tpm.persistentHandles(options)).includes(handle);
      if (!present || sha256(await tpm.readPublic(handle, options)) !== current.keySha256) {
        current = jobs.dropStaleKey(current.id);
        input.audit.append('csr.superseded', id, { reason: `the key at ${handle} changed since the CSR was stored` }, actor);
      }
    }
    if (!current.csrDer) {
      await enter('csr');
      // A key left at the handle by an interrupted run is this device's own and is reused; a
      // deliberate re-enrollment (--force after done) gets a new one.
      const key = await tpm.ensureKey(handle, algorithm, { ...options, fresh: Boolean(input.force && previous?.status === 'done') });
      const { subject, sans } = resolveName(deviceType, named, {});
      // A one-time SCEP code travels inside the CSR: reserved for this device now (the same one
      // again on a retry) and spent in the commit that records the certificate it bought.
      const code = pool && scep ? pool.reserve(input.profile.name, id, input.passphrase, actor) : undefined;
      const csrDer = await buildCsr({ signer: signerFor(tpm, handle, algorithm, key.spki, input.signal), subject, sans, challengePassword: code?.secret ?? input.profile.challenge });
      await verifyCsr(csrDer); // the TPM's signature checks out before it is recorded
      reached(
        (current = jobs.advance(current.id, 'csr', { csrDer, keySha256: sha256(key.spki), ...(ekCertificate ? { keyEvidence: ekCertificate } : {}) }, () =>
          input.audit.append('csr.generated', id, { tpm: input.port, handle, algorithm, keyCreated: key.created, ekCertificate: Boolean(ekCertificate) }, actor),
        )),
      );
    }
    // The CSR's key is the TPM's key: checked when the CSR was made, and again on every resume.
    const csrKey = new Uint8Array(new x509.Pkcs10CertificateRequest(current.csrDer!.slice()).publicKey.rawData);

    let birth = false;
    if (!current.certDer) {
      await enter('enrolled');
      // SCEP: the code reserved when the CSR was made; EST: a one-time password for this request.
      let reservation: Reservation | undefined = pool ? pool.reserve(input.profile.name, id, input.passphrase, actor) : undefined;
      if (reservation && pool && scep && challengePasswordOf(current.csrDer!) !== reservation.secret) {
        // This CSR was made before the bundle came (it carries the profile's code): not spent here.
        pool.release(reservation.id, actor);
        reservation = undefined;
      }
      const context: EnrollContext = {
        deviceId: id,
        deviceType,
        attributes: named,
        ...options,
        // SCEP: the device key signs its own request and unwraps the reply (RSA keys only).
        ...(reservation && !scep ? { credential: { password: reservation.secret } } : {}),
        ...(scep && algorithm === 'rsa-2048' ? { requester: { signer: signerFor(tpm, handle, algorithm, csrKey, input.signal), decrypt: (block: Uint8Array) => tpm.rsaDecrypt(handle, block, options) } } : {}),
      };
      let enrolled: Awaited<ReturnType<Enroller['enroll']>>;
      try {
        enrolled = await input.profile.enroller.enroll(current.csrDer!, context);
      } catch (error) {
        if (reservation && pool && isEnrollerError(error) && refusedCredential(error)) {
          // The service refused the code itself: it is burnt, and so is the CSR that carries it.
          pool.refuse(reservation.id, actor);
          if (scep) jobs.dropStaleKey(current.id);
        } else if (reservation && pool && !scep && isEnrollerError(error) && !isTransient(error.code)) pool.release(reservation.id, actor);
        if (!isEnrollerError(error) || !isTransient(error.code) || input.profile.enroller.protocol === 'local') throw error;
        input.queue.enqueue({ kind: 'device', deviceId: id, deviceType: deviceType.name, profile: input.profile.name, jobId: current.id, csrDer: current.csrDer!, code: error.code, message: error.message });
        const offline = deviceType.offline;
        if (offline.policy !== 'birth' || !offline.localCaAllowed || !input.fallback) {
          markWaiting(input.db, current.id, 'Queued: the service cannot be reached. The certificate is written when the TPM is provisioned again after the queue syncs.');
          return outcome(input.port, id, 'waiting', undefined, undefined, undefined, 'Waiting for a certificate from the service.', run.petName);
        }
        enrolled = await input.fallback.enroller.enroll(current.csrDer!, { deviceId: id, deviceType, attributes: named, ...options, kind: 'birth' });
        birth = true;
      }
      if (enrolled.status === 'pending') {
        input.queue.enqueue({ kind: 'device', deviceId: id, deviceType: deviceType.name, profile: input.profile.name, jobId: current.id, csrDer: current.csrDer!, txn: enrolled.transaction, code: 'ENROLL_PENDING', message: 'The service has not issued it yet.' });
        markWaiting(input.db, current.id, `Waiting for the service (retry in ${enrolled.retryAfterSeconds} s).`);
        return outcome(input.port, id, 'waiting', undefined, undefined, undefined, 'Waiting for a certificate from the service.', run.petName);
      }
      const issued = enrolled.certificate;
      reached(
        (current = jobs.advance(current.id, 'enrolled', { certSerial: issued.serialNumber, certIssuer: issued.issuer, certDer: new Uint8Array(issued.rawData) }, () => {
          if (reservation && pool && !birth) pool.consume(reservation.id, id, sha256(current.csrDer!), actor);
        })),
      );
    }

    await enter('written');
    const certDer = current.certDer!;
    const leaf = new x509.X509Certificate(certDer.slice());
    const written: Record<string, string> = {};
    const toNv = certDer.length <= NV_INDEX_MAX_BYTES || !input.outDir;
    if (toNv) {
      await tpm.writeNv(settings.certNvIndex, certDer, options);
      written[`nv:${normalizeHandle(settings.certNvIndex)}`] = sha256(certDer);
    }
    if (input.outDir) {
      const files = writeCertificateFiles(input.outDir, id, certDer, leaf.toString('pem'), input.chainPem);
      written[files.der] = sha256(certDer);
      written[files.pem] = 'pem';
    }
    reached((current = jobs.advance(current.id, 'written', { written }, () => input.audit.append('credentials.written', id, { written }, actor))));

    await enter('verified');
    if (toNv && !Buffer.from(await tpm.readNv(settings.certNvIndex, options)).equals(Buffer.from(certDer))) {
      throw new EnrollerError('TPM_READBACK_MISMATCH', `NV index ${normalizeHandle(settings.certNvIndex)} does not read back the certificate that was written.`);
    }
    const heldKey = await tpm.readPublic(handle, options);
    if (!Buffer.from(leaf.publicKey.rawData).equals(Buffer.from(csrKey)) || !Buffer.from(heldKey).equals(Buffer.from(csrKey))) {
      throw new EnrollerError('TPM_KEY_MISMATCH', `The certificate does not carry the key the TPM holds at ${handle}.`);
    }
    reached(
      jobs.advance(current.id, ['verified', 'done'], {}, () => {
        jobs.upsertDevice({ deviceId: id, deviceType: deviceType.name, mode: birth || deviceType.certificate.kind === 'birth' ? 'FACTORY' : 'OPERATIONAL' });
        input.audit.append('device.provisioned', id, { serial: current.certSerial, tpm: input.port, handle, ...(birth ? { birth: true } : {}) }, actor);
      }),
    );
    if (birth) return outcome(input.port, id, 'verified', current.certSerial, current.certIssuer, 'ENROLL_QUEUED', 'Factory (birth) certificate written and verified; the operational certificate is queued until the service is back.', run.petName);
    return outcome(input.port, id, 'verified', current.certSerial, current.certIssuer, undefined, undefined, run.petName);
  } catch (caught) {
    return run.failed(jobs, newJob, caught, input.port);
  }
}

/** The service turned the enrollment code down (not the request's form, not the network). */
function refusedCredential(error: EnrollerError): boolean {
  return error.code === 'ENROLL_UNAUTHORIZED' || (error.code === 'SCEP_FAILURE' && error.details?.failInfo === 2);
}

function signerFor(tpm: Tpm, handle: string, algorithm: TpmKeyAlgorithm, spki: Uint8Array, signal: AbortSignal | undefined): ExternalSigner {
  return { algorithm, spki, sign: (data) => tpm.sign(handle, algorithm, data, signal ? { signal } : {}) };
}
