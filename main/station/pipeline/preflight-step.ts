// Before anything is written to a device: the chain it would receive, checked against its cloud's
// rules (and, for every device, against itself). A broken rule stops the job with PREFLIGHT_FAILED
// naming each one in words; nothing is written. Warnings travel on with the write's audit row.
import { EnrollerError } from '../../../shared/errors';
import type { DeviceAttributes, DeviceTypeDocument } from '../../../shared/device-type';
import type { x509 } from '../../pki/crypto';
import { fillTemplate } from '../../pki/device-type/naming';
import { blocking, preflight, type Finding } from '../../pki/preflight';
import { csrPublicKey } from '../../pki/public-key-of';
import type { JobRow } from '../../store/job-store';
import type { DeviceAdapter } from './device-adapter';
import type { PlannedChain } from './issuing-chain';

export function checkBeforeWriting(
  deviceType: DeviceTypeDocument,
  adapter: DeviceAdapter,
  job: JobRow,
  leaf: x509.X509Certificate,
  attributes: DeviceAttributes,
): Promise<Finding[]> {
  const deviceId = job.deviceId!;
  return checkPlanned(deviceType, adapter.planned(job, leaf), csrPublicKey(job.csrDer!), { ...attributes, deviceId });
}

/** The same check for a chain already planned, with the key the device's request carries. */
export async function checkPlanned(
  deviceType: DeviceTypeDocument,
  { chain, issuers }: PlannedChain,
  devicePublicKeySpki: Uint8Array,
  attributes: DeviceAttributes,
): Promise<Finding[]> {
  const cloud = deviceType.cloud;
  const findings = await preflight({
    chain,
    cloud: cloud?.target,
    registrationId: registrationIdOf(deviceType, attributes),
    verifiedCas: cloud?.verifiedCas,
    devicePublicKeySpki,
    trustAnchors: issuers.filter((c) => c.subject === c.issuer),
  });
  const broken = blocking(findings);
  if (broken.length > 0) throw preflightFailed(broken, cloud?.target);
  return findings;
}

/** The ID the device registers with: the device type's template, or the device ID. */
export function registrationIdOf(deviceType: DeviceTypeDocument, attributes: DeviceAttributes): string | undefined {
  const template = deviceType.cloud?.registrationId;
  return template ? fillTemplate(template, attributes) : attributes.deviceId;
}

export function preflightFailed(broken: readonly Finding[], cloud: string | undefined): EnrollerError {
  const where = cloud && cloud !== 'none' ? ` for ${cloud}` : '';
  return new EnrollerError(
    'PREFLIGHT_FAILED',
    `Nothing was written: the certificate would be refused${where}. ` +
      broken.map((f) => `${f.code}: ${f.message}`).join(' '),
    { findings: broken.map(({ code, message }) => ({ rule: code, message })) },
  );
}
