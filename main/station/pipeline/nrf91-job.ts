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
import { markWaiting, type JobStore, type Step } from '../../store/job-store';

export interface JobOutcome {
  readonly port: string;
  readonly deviceId: string | undefined;
  readonly status: 'verified' | 'waiting' | 'failed';
  readonly certSerial: string | undefined;
  readonly issuer: string | undefined;
  readonly code: string | undefined;
  readonly message: string | undefined;
}

export interface Nrf91JobInput {
  readonly port: string;
  readonly modem: Nrf91Modem;
  readonly deviceType: DeviceTypeDocument;
  readonly profile: string;
  readonly enroller: Enroller;
  /** PEM text the device type's caCerts sources refer to. */
  readonly pems: { readonly root: string; readonly issuingChain: string; readonly profileTrust?: string };
  readonly db: Db;
  readonly jobs: JobStore;
  readonly audit: AuditLog;
  readonly signal?: AbortSignal;
  /** Enroll again a device that is already done. */
  readonly force?: boolean;
}

export async function runNrf91Job(input: Nrf91JobInput): Promise<JobOutcome> {
  const { jobs, modem, deviceType } = input;
  const secTags = deviceType.secTags;
  let job = jobs.create(input.port, deviceType.name, input.profile);
  let attempting: Step = 'identified';
  const options = input.signal ? { signal: input.signal } : {};
  try {
    if (!secTags) throw new EnrollerError('DEVICE_TYPE_INVALID', `Device type ${deviceType.name} has no sec tags for an nRF91.`);
    await modem.connect(options);
    const identity = await modem.identify(options);
    const deviceId = deviceIdFor(deviceType, { imei: identity.imei, ...(identity.deviceUuid ? { uuid: identity.deviceUuid } : {}) });
    const previous = jobs.latestFor(deviceId);
    if (previous?.status === 'done' && !input.force) {
      // Recognised by ID: already enrolled, verified and recorded. Not enrolled a second time.
      job = jobs.advance(job.id, 'done', { deviceId, ...(previous.certSerial ? { certSerial: previous.certSerial } : {}), ...(previous.certIssuer ? { certIssuer: previous.certIssuer } : {}) });
      return outcome(input.port, deviceId, 'verified', job.certSerial, job.certIssuer, 'DEVICE_ALREADY_ENROLLED', 'Already enrolled and verified earlier; nothing was changed.');
    }
    job = jobs.advance(job.id, 'identified', { deviceId }, () => jobs.upsertDevice({ deviceId, deviceType: deviceType.name, imei: identity.imei, uuid: identity.deviceUuid }));
    if (previous && previous.status !== 'done' && !input.force) job = jobs.inherit(job.id, previous);

    attempting = 'approved';
    job = jobs.advance(job.id, 'approved', {}, () => input.audit.append('device.approved', deviceId, { port: input.port, imei: identity.imei }));

    const result = await modem.withOffline(async () => {
      attempting = 'csr';
      if (!job.csrDer) {
        const key = await modem.generateKey(secTags.client, `CN=${deviceId}`, identity.deviceUuid, options);
        job = jobs.advance(job.id, 'csr', { csrDer: key.csr.der, keyEvidence: key.cose }, () => input.audit.append('csr.generated', deviceId, { secTag: secTags.client }));
      }
      attempting = 'enrolled';
      if (!job.certDer) {
        const enrolled = await input.enroller.enroll(job.csrDer!, { deviceId, deviceType, attributes: { imei: identity.imei, deviceId }, ...options });
        if (enrolled.status === 'pending') {
          markWaiting(input.db, job.id, `Waiting for the service (retry in ${enrolled.retryAfterSeconds} s).`);
          return 'waiting' as const;
        }
        job = jobs.advance(job.id, 'enrolled', {
          certSerial: enrolled.certificate.serialNumber,
          certIssuer: enrolled.certificate.issuer,
          certDer: new Uint8Array(enrolled.certificate.rawData),
        });
      }
      const leaf = new x509.X509Certificate(job.certDer!);
      attempting = 'written';
      const clientPem = [leaf.toString('pem'), ...pemCertificateBlocks(input.pems.issuingChain).slice(0, 1)].join('\n');
      const written: Record<string, string> = {};
      written[`${secTags.client}/1`] = (await modem.write(secTags.client, CredentialType.clientCert, clientPem, { ...options, deleteFirst: true })).sha256;
      for (const slot of secTags.caCerts) {
        const content = slot.certificates.map((source) => (typeof source === 'object' ? source.pem : source === 'root' ? input.pems.root : source === 'issuing-chain' ? input.pems.issuingChain : (input.pems.profileTrust ?? ''))).join('\n');
        written[`${slot.secTag}/0`] = (await modem.write(slot.secTag, CredentialType.rootCa, content, { ...options, deleteFirst: true })).sha256;
      }
      job = jobs.advance(job.id, 'written', { written }, () => input.audit.append('credentials.written', deviceId, { written }));

      attempting = 'verified';
      for (const [slot, sha] of Object.entries(written)) {
        const [tag, type] = slot.split('/').map(Number) as [number, number];
        await modem.verifyStored(tag, type, sha, options);
      }
      const csrKey = new x509.Pkcs10CertificateRequest(job.csrDer!.slice()).publicKey.rawData;
      if (!Buffer.from(leaf.publicKey.rawData).equals(Buffer.from(csrKey))) {
        throw new EnrollerError('MODEM_READBACK_MISMATCH', 'The written certificate does not carry the key the modem generated.');
      }
      job = jobs.advance(job.id, 'verified');
      return 'verified' as const;
    }, options);
    if (result === 'waiting') return outcome(input.port, deviceId, 'waiting', undefined, undefined, undefined, 'Waiting for a certificate from the service.');
    job = jobs.advance(job.id, 'done', {}, () => {
      jobs.upsertDevice({ deviceId, deviceType: deviceType.name, mode: deviceType.certificate.kind === 'birth' ? 'FACTORY' : 'OPERATIONAL' });
      input.audit.append('device.provisioned', deviceId, { serial: job.certSerial, port: input.port });
    });
    return outcome(input.port, deviceId, 'verified', job.certSerial, job.certIssuer, undefined, undefined);
  } catch (error) {
    const code = isEnrollerError(error) ? error.code : 'INTERNAL';
    const message = error instanceof Error ? error.message : String(error);
    jobs.fail(job.id, attempting, code, message);
    return outcome(input.port, job.deviceId ?? undefined, 'failed', job.certSerial, job.certIssuer, code, message);
  }
}

function outcome(port: string, deviceId: string | undefined, status: JobOutcome['status'], certSerial: string | null | undefined, issuer: string | null | undefined, code: string | undefined, message: string | undefined): JobOutcome {
  return { port, deviceId, status, certSerial: certSerial ?? undefined, issuer: issuer ?? undefined, code, message };
}
