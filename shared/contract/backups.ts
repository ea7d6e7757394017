// Backups as the UI sees them (#22): where and how often the station backs itself up, the newest
// backup it knows of, and a backup taken now. Restoring stays a command (`enroller restore`): it
// replaces the database the window is running on.
import { z } from 'zod';

export const BackupPlan = z.object({
  /** The folder the backups go into, on the station's machine. */
  dir: z.string().min(1).max(4096),
  /** How often, as people say it: 30m, 6h, 1d. */
  every: z.string().regex(/^\d+(s|m|h|d)$/, 'an interval such as 30m, 6h or 1d'),
  /** How many of the scheduled backups are kept in the folder (the oldest go first). */
  keep: z.number().int().min(1).max(1000),
});
export type BackupPlan = z.infer<typeof BackupPlan>;

export const BackupStatus = z.object({
  /** The schedule running now, or null: none. */
  plan: BackupPlan.nullable(),
  /** Where it comes from: saved in the station's settings, or `serve --backup-dir` (wins for that run). */
  source: z.enum(['settings', 'command line']).nullable(),
  lastBackup: z.object({ file: z.string(), createdAt: z.string() }).nullable(),
  /** A backup is sealed with the station passphrase: none is taken while the station is locked. */
  locked: z.boolean(),
});
export type BackupStatus = z.infer<typeof BackupStatus>;

export const backupMethods = {
  'backup:status': {
    kind: 'query',
    access: 'read',
    summary: 'The backup schedule, the newest backup known, and whether one can be taken now.',
    request: z.object({}).strict(),
    response: BackupStatus,
  },
  'backup:schedule': {
    kind: 'command',
    access: 'supervise',
    summary: 'Save and start a backup schedule (a folder, how often, how many to keep), or stop it (null).',
    request: z.object({ plan: BackupPlan.nullable() }).strict(),
    response: BackupStatus,
  },
  'backup:now': {
    kind: 'command',
    access: 'backup',
    summary: "Take a backup now into the schedule's folder, sealed with the station passphrase.",
    request: z.object({}).strict(),
    response: BackupStatus,
  },
} as const;
