// The station domain of the contract: who is answering, and with what data.
import { z } from 'zod';

export const StationInfo = z.object({
  appVersion: z.string(),
  contractVersion: z.number().int().positive(),
  dataDir: z.string(),
  schemaVersion: z.number().int().nonnegative(),
  mode: z.enum(['electron', 'browser', 'cli']),
  /** The newest backup this station knows of (made or restored), or null: none yet. */
  lastBackup: z.object({ file: z.string(), createdAt: z.string() }).nullable().optional(),
});
export type StationInfo = z.infer<typeof StationInfo>;

export const stationMethods = {
  'station:info': {
    kind: 'query',
    access: 'public',
    summary: 'Versions and where this station keeps its data.',
    request: z.object({}).strict(),
    response: StationInfo,
  },
} as const;
