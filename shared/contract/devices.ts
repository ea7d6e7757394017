// Devices after the factory (#19) as the UI sees them: find one, see its certificates and history,
// and — for supervisors — disable, enable, set back to factory mode, revoke one certificate.
import { z } from 'zod';
import { CHOSEN_REASONS } from '../revocation';

export const DeviceMode = z.enum(['NEW', 'FACTORY', 'OPERATIONAL', 'DISABLED']);

export const DeviceSummary = z.object({
  deviceId: z.string(),
  deviceType: z.string(),
  mode: DeviceMode,
  petName: z.string().nullable(),
  imei: z.string().nullable(),
  /** What the modem said it is (+CGMM, +CGMR); null for other devices. */
  model: z.string().nullable(),
  firmware: z.string().nullable(),
  disabledReason: z.string().nullable(),
  nextCertificate: z.enum(['birth']).nullable(),
  updatedAt: z.string(),
});
export type DeviceSummary = z.infer<typeof DeviceSummary>;

export const DeviceCertificate = z.object({
  serial: z.string(),
  issuer: z.string(),
  notAfter: z.string().nullable(),
  kind: z.string().nullable(),
  status: z.enum(['issued', 'revoked', 'issued-by-service', 'revocation-requested']),
  revokedAt: z.string().nullable(),
  reason: z.string().nullable(),
  profile: z.string().nullable(),
});
export type DeviceCertificate = z.infer<typeof DeviceCertificate>;

export const DeviceDetail = z.object({
  device: DeviceSummary,
  certificates: z.array(DeviceCertificate),
  history: z.array(
    z.object({ at: z.string(), actor: z.string(), action: z.string(), details: z.record(z.string(), z.unknown()) }),
  ),
});
export type DeviceDetail = z.infer<typeof DeviceDetail>;

const RevokeReason = z.enum(CHOSEN_REASONS);
const Id = z.object({ deviceId: z.string().min(1) }).strict();

export const deviceMethods = {
  'devices:list': {
    kind: 'query',
    access: 'read',
    summary: 'Devices by mode, or found by ID, IMEI, pet name or certificate serial.',
    request: z.object({ mode: DeviceMode.optional(), search: z.string().max(200).optional() }).strict(),
    response: z.array(DeviceSummary),
  },
  'devices:show': {
    kind: 'query',
    access: 'read',
    summary: 'One device: its mode, every certificate it was given, and its history.',
    request: Id,
    response: DeviceDetail,
  },
  'devices:disable': {
    kind: 'command',
    access: 'supervise',
    summary: "Revoke the device's station-CA certificates and issue nothing more to it until it is enabled.",
    request: z
      .object({ deviceId: z.string().min(1), reason: z.string().min(1).max(500), revokeReason: RevokeReason })
      .strict(),
    response: DeviceDetail,
  },
  'devices:enable': {
    kind: 'command',
    access: 'supervise',
    summary: 'Allow issuance to a disabled device again.',
    request: Id,
    response: DeviceDetail,
  },
  'devices:set-factory': {
    kind: 'command',
    access: 'supervise',
    summary: 'Back to factory mode: the next provision issues a birth certificate.',
    request: Id,
    response: DeviceDetail,
  },
  'devices:revoke': {
    kind: 'command',
    access: 'supervise',
    summary: 'Revoke one certificate the station CA issued.',
    request: z.object({ serial: z.string().min(1).max(80), reason: RevokeReason }).strict(),
    response: DeviceDetail,
  },
} as const;
