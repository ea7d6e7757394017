// An enrollment profile: where a certificate comes from — the station's embedded CA (`local`),
// an EST service or a SCEP service — with the settings that are safe to show. Passwords,
// challenges and client keys are kept apart (sealed with the station passphrase in main).
import { z } from 'zod';

export const ProfileName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'lower-case letters, digits, dot, dash or underscore (1–64)');

const httpUrl = z.url({ protocol: /^https?$/ });
const sha256Hex = z
  .string()
  .transform((s) => s.replace(/:/g, '').toLowerCase())
  .pipe(z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 fingerprint: 64 hex digits'));

export const LocalProfile = z.object({ protocol: z.literal('local') }).strict();

export const EstProfile = z
  .object({
    protocol: z.literal('est'),
    url: httpUrl,
    label: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/)
      .optional(),
    user: z.string().min(1).max(256).optional(),
    /** PEM trust anchors for the server's TLS certificate (else the system's). */
    trustPem: z.string().optional(),
    /** The station's RA certificate for TLS client authentication (its key is a secret). */
    clientCertPem: z.string().optional(),
    timeoutMs: z.number().int().min(1000).max(600_000).optional(),
  })
  .strict();

export const ScepProfile = z
  .object({
    protocol: z.literal('scep'),
    url: httpUrl,
    caFingerprintSha256: sha256Hex.optional(),
    trustPem: z.string().optional(),
    timeoutMs: z.number().int().min(1000).max(600_000).optional(),
  })
  .strict();

/**
 * CMP (RFC 4210 / RFC 9483): MAC protection with a shared secret (`reference` is the senderKID
 * the server knows it by) or signature protection with the station's certificate (its key is a
 * secret). `trustPem`: the service's CA certificates — its signatures and what it issues chain to them.
 */
export const CmpProfile = z
  .object({
    protocol: z.literal('cmp'),
    url: httpUrl,
    reference: z.string().min(1).max(256).optional(),
    /** The CA's distinguished name for the header's recipient (default: the NULL-DN). */
    recipient: z.string().min(1).max(1024).optional(),
    trustPem: z.string().optional(),
    clientCertPem: z.string().optional(),
    timeoutMs: z.number().int().min(1000).max(600_000).optional(),
  })
  .strict();

export const ProfileSettings = z.discriminatedUnion('protocol', [LocalProfile, EstProfile, ScepProfile, CmpProfile]);
export type ProfileSettings = z.infer<typeof ProfileSettings>;

export const ProfileSummary = z.object({
  name: ProfileName,
  settings: ProfileSettings,
  /** Which secrets are stored (never their values). */
  secrets: z.array(z.enum(['password', 'clientKey', 'challenge', 'secret'])),
  builtin: z.boolean(),
});
export type ProfileSummary = z.infer<typeof ProfileSummary>;

/** The secret half of a profile; only main ever holds it, and only unsealed in memory. */
export interface ProfileSecrets {
  readonly password?: string;
  readonly clientKeyPem?: string;
  readonly challenge?: string;
  /** CMP: the shared secret its MAC protection (PBM) is keyed with. */
  readonly secret?: string;
}

/** The built-in profile every station has: the embedded CA. */
export const LOCAL_PROFILE = 'local';

/** A profile's connection test (`profile test`, the editor's button): each layer on the way to its service. */
export const ProfileTestStep = z.object({
  step: z.enum(['dns', 'tcp', 'tls', 'authentication', 'csrattrs', 'ca']),
  /** unknown: the layer works, but whether it would accept cannot be told without issuing. */
  status: z.enum(['ok', 'failed', 'skipped', 'unknown']),
  message: z.string(),
  code: z.string().optional(),
});
export type ProfileTestStep = z.infer<typeof ProfileTestStep>;

export const ProfileTestReport = z.object({
  profile: z.string(),
  protocol: z.enum(['local', 'est', 'scep', 'cmp']),
  url: z.string().optional(),
  status: z.enum(['passed', 'failed']),
  steps: z.array(ProfileTestStep),
  /** The TLS server's chain as it presented it. */
  serverChain: z.array(z.object({ subject: z.string(), issuer: z.string(), sha256: z.string() })).optional(),
  /** The CA chain the service would give devices, with SHA-256 fingerprints. */
  caChain: z.array(z.object({ subject: z.string(), sha256: z.string() })),
});
export type ProfileTestReport = z.infer<typeof ProfileTestReport>;
