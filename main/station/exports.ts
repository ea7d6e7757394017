// What a finished batch hands to the clouds and to the PKI team: nRF Cloud's onboarding CSV,
// Azure DPS individual enrollments, AWS IoT bulk-registration lines, and a JSON report per device.
import crypto from 'node:crypto';
import { x509 } from '../pki/crypto';
import type { Db } from '../store/database';
import { pemBlock } from '../pki/pem';

export type ExportFormat = 'nrfcloud' | 'azure-dps' | 'aws' | 'report';

export interface ProvisionedDevice {
  readonly deviceId: string;
  readonly petName: string | null;
  readonly imei: string | null;
  readonly uuid: string | null;
  /** What a modem said it is (+CGMM, +CGMR); null for other devices. */
  readonly model: string | null;
  readonly firmware: string | null;
  readonly mode: string;
  readonly deviceType: string;
  readonly profile: string;
  readonly batchId: string | null;
  readonly port: string;
  readonly csrDer: Uint8Array;
  readonly keyEvidence: Uint8Array | null;
  readonly certificate: x509.X509Certificate;
  readonly written: Record<string, string>;
  readonly stepTimes: Record<string, string>;
  readonly operator: string | null;
}

interface Row {
  device_id: string;
  pet_name: string | null;
  imei: string | null;
  uuid: string | null;
  model: string | null;
  firmware: string | null;
  mode: string;
  device_type: string;
  profile: string;
  batch_id: string | null;
  port: string;
  csr_der: Buffer;
  key_evidence: Buffer | null;
  cert_der: Buffer;
  written: string | null;
  step_times: string;
  operator: string | null;
}

/** The latest finished job of each device (of one batch, if given) with its certificate. */
export function provisionedDevices(db: Db, batchId?: string): ProvisionedDevice[] {
  const rows = db
    .prepare<[string | null, string | null], Row>(
      `SELECT j.device_id, d.pet_name, d.imei, d.uuid, d.model, d.firmware, d.mode, j.device_type, j.profile,
         j.batch_id, j.port,
         j.csr_der, j.key_evidence,
              j.cert_der, j.written, j.step_times,
              (SELECT actor FROM audit_log a WHERE a.action = 'device.provisioned'
                AND a.subject = j.device_id ORDER BY seq DESC LIMIT 1) AS operator
         FROM jobs j JOIN devices d ON d.device_id = j.device_id
        WHERE j.status = 'done' AND j.cert_der IS NOT NULL AND j.csr_der IS NOT NULL AND (? IS NULL OR j.batch_id = ?)
          AND j.id = (SELECT max(id) FROM jobs k WHERE k.device_id = j.device_id AND k.status = 'done'
            AND k.cert_der IS NOT NULL)
        ORDER BY j.device_id`,
    )
    .all(batchId ?? null, batchId ?? null);
  return rows.map((r) => ({
    deviceId: r.device_id,
    petName: r.pet_name,
    imei: r.imei,
    uuid: r.uuid,
    model: r.model,
    firmware: r.firmware,
    mode: r.mode,
    deviceType: r.device_type,
    profile: r.profile,
    batchId: r.batch_id,
    port: r.port,
    csrDer: new Uint8Array(r.csr_der),
    keyEvidence: r.key_evidence ? new Uint8Array(r.key_evidence) : null,
    certificate: new x509.X509Certificate(new Uint8Array(r.cert_der)),
    written: r.written ? (JSON.parse(r.written) as Record<string, string>) : {},
    stepTimes: JSON.parse(r.step_times) as Record<string, string>,
    operator: r.operator,
  }));
}

/** A CSV field as RFC 4180 wants it: quoted when it holds a comma, a quote or a line break. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

export function formatExport(
  format: ExportFormat,
  devices: readonly ProvisionedDevice[],
  options: { tags?: readonly string[]; subType?: string } = {},
): string {
  switch (format) {
    case 'nrfcloud':
      // nRF Cloud onboarding CSV, as nrfcloud-utils writes it: no header; device ID, sub type,
      // tags (| separated), firmware types (| separated), the device certificate PEM.
      return devices
        .map(
          (d) =>
            [
              d.deviceId,
              options.subType ?? '',
              (options.tags ?? []).join('|'),
              'APP|MODEM',
              d.certificate.toString('pem'),
            ]
              .map(csvField)
              .join(',') + '\r\n',
        )
        .join('');
    case 'azure-dps':
      // Azure DPS individual enrollments with X.509 attestation (the device's own certificate).
      return `${JSON.stringify(
        devices.map((d) => ({
          registrationId: d.deviceId,
          attestation: {
            type: 'x509',
            x509: {
              clientCertificates: { primary: { certificate: Buffer.from(d.certificate.rawData).toString('base64') } },
            },
          },
          provisioningStatus: 'enabled',
        })),
        null,
        2,
      )}\n`;
    case 'aws':
      // AWS IoT bulk registration (start-thing-registration-task): one JSON object per line with the
      // template's parameters; the certificate is already issued, so the template registers it.
      return devices
        .map(
          (d) =>
            `${JSON.stringify({
              ThingName: d.deviceId,
              SerialNumber: d.imei ?? d.deviceId,
              CertificatePem: d.certificate.toString('pem'),
              CSR: pemBlock('CERTIFICATE REQUEST', d.csrDer),
            })}\n`,
        )
        .join('');
    case 'report':
      return devices.map((d) => `${JSON.stringify(report(d))}\n`).join('');
  }
}

function report(d: ProvisionedDevice) {
  return {
    deviceId: d.deviceId,
    petName: d.petName,
    imei: d.imei,
    uuid: d.uuid,
    model: d.model,
    firmware: d.firmware,
    mode: d.mode,
    deviceType: d.deviceType,
    profile: d.profile,
    batchId: d.batchId,
    port: d.port,
    csrSha256: crypto.createHash('sha256').update(d.csrDer).digest('hex'),
    keyOrigin: d.keyEvidence
      ? { kind: 'nrf91-keygen-cose', evidence: Buffer.from(d.keyEvidence).toString('base64') }
      : { kind: 'csr-file' },
    certificate: {
      serial: d.certificate.serialNumber,
      issuer: d.certificate.issuer,
      subject: d.certificate.subject,
      notBefore: d.certificate.notBefore.toISOString(),
      notAfter: d.certificate.notAfter.toISOString(),
    },
    secTagsWritten: d.written,
    readback: d.stepTimes.verified ? 'verified' : 'not verified',
    operator: d.operator,
    times: d.stepTimes,
  };
}
