// An enrollment bundle file: what a service's administrator exports for a station that will work
// offline — the profile it belongs to, an expiry, optionally the service's CA chain to pin, and a
// pool of one-time enrollment credentials (EST passwords or SCEP challenges).
import { z } from 'zod';
import { ProfileName } from './profile';

export const BundleFile = z
  .object({
    format: z.literal('floor-enroller-bundle'),
    version: z.literal(1),
    profile: ProfileName,
    expiresAt: z.iso.datetime({ offset: true }),
    /** The service's CA chain (PEM), pinned for offline batches. */
    caCertificatesPem: z.string().optional(),
    credentials: z
      .array(
        z
          .object({
            id: z.string().min(1).max(128),
            secret: z.string().min(1).max(1024),
            expiresAt: z.iso.datetime({ offset: true }).optional(),
          })
          .strict(),
      )
      .min(1)
      .max(100_000),
  })
  .strict();
export type BundleFile = z.infer<typeof BundleFile>;
