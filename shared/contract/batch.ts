// The bench: the ports (slots) a technician plugs devices into, and the batch running on them.
import { z } from 'zod';
import { DeviceTypeDocument } from '../device-type';
import { ProfileSummary } from '../profile';

export const JobStep = z.enum(['detected', 'identified', 'approved', 'csr', 'enrolled', 'written', 'verified', 'done']);

export const SlotState = z.object({
  port: z.string(),
  status: z.enum(['queued', 'running', 'paused', 'verified', 'waiting', 'failed', 'cancelled']),
  /** The step being worked on, or the last one reached once the device is finished. */
  step: JobStep,
  attempts: z.number().int().nonnegative(),
  deviceId: z.string().optional(),
  /** The readable name the technician says and writes on the label ("amber-falcon"). */
  petName: z.string().optional(),
  /** A scanned label bound to this port: the IMEI the device must report before anything is written. */
  expectedImei: z.string().optional(),
  /** A scanned serial number bound to this port (a TPM's ID and subject attribute). */
  serial: z.string().optional(),
  certSerial: z.string().optional(),
  issuer: z.string().optional(),
  /** What the station did to keep this device's link going, newest last ("link hiccup at AT+CGSN — retried"). */
  recoveries: z.array(z.string()).optional(),
  /** The device's label after it was enrolled: printed, or the printer failed (see the audit). */
  label: z.enum(['printed', 'failed']).optional(),
  /** A stable error code and the sentence for the technician. */
  code: z.string().optional(),
  message: z.string().optional(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
});
export type SlotState = z.infer<typeof SlotState>;

/** A slot's statuses once its device has ended this run (a retry starts it again). */
export const SLOT_ENDED: ReadonlySet<SlotState['status']> = new Set(['verified', 'waiting', 'failed', 'cancelled']);

const Counts = z.object({
  queued: z.number().int(),
  running: z.number().int(),
  paused: z.number().int(),
  verified: z.number().int(),
  waiting: z.number().int(),
  failed: z.number().int(),
  cancelled: z.number().int(),
});

export const BatchState = z.object({
  id: z.string(),
  deviceType: z.string(),
  profile: z.string(),
  status: z.enum(['running', 'paused', 'cancelling', 'cancelled', 'finished']),
  total: z.number().int(),
  counts: Counts,
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  devicesPerHour: z.number().nonnegative(),
});
export type BatchState = z.infer<typeof BatchState>;

export const CaStatus = z.object({
  initialized: z.boolean(),
  unlocked: z.boolean(),
  root: z.object({ subject: z.string(), fingerprint: z.string(), notAfter: z.string() }).optional(),
  issuing: z.object({ subject: z.string(), fingerprint: z.string(), notAfter: z.string() }).optional(),
  key: z
    .object({
      location: z.enum(['file', 'pkcs11']),
      token: z.string().optional(),
      serial: z.string().optional(),
      uri: z.string().optional(),
    })
    .optional(),
});
export type CaStatus = z.infer<typeof CaStatus>;

const Passphrase = z.string().min(8, 'at least 8 characters').max(1024);
const empty = z.object({}).strict();
const BenchView = z.object({ batch: BatchState.nullable(), slots: z.array(SlotState) });

export const benchMethods = {
  'device:list': {
    kind: 'query',
    access: 'read',
    summary: 'The slots on the bench and the state of the device in each.',
    request: empty,
    response: BenchView,
  },
  'batch:start': {
    kind: 'command',
    access: 'operate',
    summary: 'Run the pipeline on every slot (or the given ones) with a device type and profile.',
    request: z
      .object({
        deviceType: z.string().min(1),
        profile: z.string().min(1).optional(),
        ports: z.array(z.string()).min(1).optional(),
        force: z.boolean().optional(),
        petNames: z.record(z.string(), z.string().max(63)).optional(),
      })
      .strict(),
    response: BatchState,
  },
  'batch:pause': {
    kind: 'command',
    access: 'operate',
    summary: 'Hold every device at its next step.',
    request: empty,
    response: BatchState,
  },
  'batch:resume': {
    kind: 'command',
    access: 'operate',
    summary: 'Let paused devices go on.',
    request: empty,
    response: BatchState,
  },
  'batch:cancel': {
    kind: 'command',
    access: 'operate',
    summary: 'Stop every device; each resumes from its last completed step later.',
    request: empty,
    response: BatchState,
  },
  'batch:retry': {
    kind: 'command',
    access: 'operate',
    summary: 'Run failed and cancelled devices again (all, or the given ports).',
    request: z.object({ ports: z.array(z.string()).min(1).optional() }).strict(),
    response: BatchState,
  },
  'batch:clear': {
    kind: 'command',
    access: 'operate',
    summary: 'New batch: forget the finished batch on screen and every scanned label; the slots are ready again.',
    request: empty,
    response: BenchView,
  },
  'device:label': {
    kind: 'command',
    access: 'operate',
    summary:
      'Bind a scanned label to the device on a port: the IMEI it must report, its serial number, and/or its pet name.',
    request: z
      .object({
        port: z.string().min(1),
        imei: z
          .string()
          .regex(/^\d{15}$/, 'an IMEI is 15 digits')
          .optional(),
        serial: z
          .string()
          .regex(/^[A-Za-z0-9._-]{1,64}$/, 'a serial number is 1–64 letters, digits, dot, dash or underscore')
          .optional(),
        petName: z.string().min(1).max(63).optional(),
        clear: z.boolean().optional(),
      })
      .strict(),
    response: SlotState,
  },
  'ca:status': {
    kind: 'query',
    access: 'read',
    summary: 'Whether the embedded CA exists and is unlocked.',
    request: empty,
    response: CaStatus,
  },
  'ca:init': {
    kind: 'command',
    access: 'configure',
    summary: 'Create the embedded root and issuing CA, encrypted with the passphrase, and unlock it.',
    request: z
      .object({
        passphrase: Passphrase,
        keyAlgorithm: z.enum(['ec-p256', 'rsa-2048']).optional(),
        subject: z.string().optional(),
      })
      .strict(),
    response: CaStatus,
  },
  'station:unlock': {
    kind: 'command',
    access: 'configure',
    summary: "Unlock the CA and the profiles' sealed secrets with the station passphrase, for this session.",
    request: z.object({ passphrase: Passphrase }).strict(),
    response: CaStatus,
  },
  'profile:list': {
    kind: 'query',
    access: 'read',
    summary: 'Enrollment profiles (secrets never included).',
    request: empty,
    response: z.array(ProfileSummary),
  },
  'device-type:list': {
    kind: 'query',
    access: 'read',
    summary: 'Device types this station knows.',
    request: empty,
    response: z.array(DeviceTypeDocument),
  },
} as const;

export const benchEvents = {
  'device:changed': { summary: 'One slot changed: step, status, device ID or result.', payload: SlotState },
  'batch:progress': { summary: 'The batch counts, status and throughput changed.', payload: BatchState },
} as const;
