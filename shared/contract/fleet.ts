// The fleet as the UI sees it (#23): whether this station is in one, how its background sync
// stands (synced, away and when it tries again, or failed and why), what waits to be sent, the
// conflicts it is part of, and each station's yield as the fleet last reported it.
import { z } from 'zod';

export const StationYield = z.object({
  station: z.string(),
  done: z.number().int(),
  failed: z.number().int(),
  waiting: z.number().int(),
  lastSyncAt: z.string().nullable(),
});
export type StationYield = z.infer<typeof StationYield>;

export const FleetConflict = z.object({
  deviceId: z.string(),
  station: z.string(),
  serial: z.string(),
  holder: z.string(),
  foundAt: z.string(),
});
export type FleetConflict = z.infer<typeof FleetConflict>;

export const FleetStatus = z.object({
  joined: z.boolean(),
  station: z.string().nullable(),
  url: z.string().nullable(),
  /** idle: not tried yet; syncing; synced; away: the fleet cannot be reached (offline-first: work goes on); failed. */
  state: z.enum(['idle', 'syncing', 'synced', 'away', 'failed']),
  lastSyncAt: z.string().nullable(),
  nextAttemptAt: z.string().nullable(),
  /** Changes on this station the fleet has not heard of yet. */
  pending: z.number().int(),
  code: z.string().nullable(),
  message: z.string().nullable(),
  conflicts: z.array(FleetConflict),
  /** Each station's devices by their newest job, as of the last sync. */
  stations: z.array(StationYield),
});
export type FleetStatus = z.infer<typeof FleetStatus>;

export const fleetMethods = {
  'fleet:status': {
    kind: 'query',
    access: 'read',
    summary: "This station in its fleet: the background sync's state, what waits, conflicts, yield per station.",
    request: z.object({}).strict(),
    response: FleetStatus,
  },
  'fleet:sync': {
    kind: 'command',
    access: 'operate',
    summary: 'Sync with the fleet now (instead of at the next round or after the back-off).',
    request: z.object({}).strict(),
    response: FleetStatus,
  },
} as const;

export const fleetEvents = {
  'fleet:changed': {
    summary: 'The background fleet sync ran (synced, away or failed).',
    payload: FleetStatus,
  },
} as const;
