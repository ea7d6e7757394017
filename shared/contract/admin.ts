// What the CA, device-type/profile and settings views need beyond the bench: export the chain,
// answer a cloud's proof-of-possession code, save device types and profiles, and remember the
// station passphrase in the OS keychain (Electron only; never the only way to unlock).
import { z } from 'zod';
import { DeviceTypeDocument } from '../device-type';
import { ProfileName, ProfileSettings, ProfileSummary, ProfileTestReport } from '../profile';
import { CaStatus } from './batch';

const empty = z.object({}).strict();

export const KeychainStatus = z.object({
  /** True only where an OS keychain protects the wrap (Electron with a real backend). */
  available: z.boolean(),
  /** Electron's name for the Linux backend (`gnome_libsecret`, `kwallet5`, `basic_text`, …) or the OS. */
  backend: z.string().optional(),
  /** Whether a wrapped passphrase is stored for this data folder. */
  remembered: z.boolean(),
  /** Why it is not available, in words for the technician. */
  reason: z.string().optional(),
});
export type KeychainStatus = z.infer<typeof KeychainStatus>;

export const adminMethods = {
  'ca:export': {
    kind: 'query',
    access: 'read',
    summary: 'The CA chain as PEM: issuing CA first, then root.',
    request: empty,
    response: z.object({ pem: z.string() }),
  },
  'ca:verification-cert': {
    kind: 'command',
    access: 'configure',
    summary:
      'A proof-of-possession certificate whose CN is the code a cloud (Azure DPS, AWS IoT) gave, signed by the CA key.',
    request: z
      .object({
        code: z
          .string()
          .trim()
          .min(1)
          .max(64)
          .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, dot, dash or underscore'),
        ca: z.enum(['root', 'issuing']).optional(),
      })
      .strict(),
    response: z.object({ pem: z.string(), serial: z.string(), subject: z.string() }),
  },
  'device-type:save': {
    kind: 'command',
    access: 'configure',
    summary: 'Create or replace a device type (validated; errors name the field).',
    request: z.object({ document: z.unknown() }).strict(),
    response: DeviceTypeDocument,
  },
  'profile:save': {
    kind: 'command',
    access: 'configure',
    summary:
      'Create or replace a profile. Secrets are optional and sealed with the station passphrase of this session.',
    request: z
      .object({
        name: ProfileName,
        settings: z.unknown(),
        secrets: z
          .object({
            password: z.string().max(1024).optional(),
            challenge: z.string().max(1024).optional(),
            /** CMP: the shared secret of its MAC protection. */
            secret: z.string().max(1024).optional(),
          })
          .strict()
          .optional(),
        replace: z.boolean().optional(),
      })
      .strict(),
    response: ProfileSummary,
  },
  'profile:test': {
    kind: 'query',
    access: 'read',
    summary:
      "Test a profile's service layer by layer (name, port, TLS, credentials, CSR attributes, CA chain); nothing " +
      'is issued. Sealed secrets are opened with the session passphrase.',
    request: z.object({ name: ProfileName }).strict(),
    response: ProfileTestReport,
  },
  'keychain:status': {
    kind: 'query',
    access: 'public',
    summary: 'Whether the OS keychain can remember the station passphrase here.',
    request: empty,
    response: KeychainStatus,
  },
  'keychain:remember': {
    kind: 'command',
    access: 'configure',
    summary: 'Wrap the passphrase this session was unlocked with in the OS keychain (refused on basic_text).',
    request: empty,
    response: KeychainStatus,
  },
  'keychain:forget': {
    kind: 'command',
    access: 'configure',
    summary: 'Delete the wrapped passphrase.',
    request: empty,
    response: KeychainStatus,
  },
  'keychain:unlock': {
    kind: 'command',
    access: 'operate',
    summary: 'Unlock the station with the remembered passphrase (the typed passphrase always works too).',
    request: empty,
    response: CaStatus,
  },
} as const;

export { ProfileSettings };
