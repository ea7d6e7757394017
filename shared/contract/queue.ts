// The offline queue as the UI sees it.
import { z } from 'zod';

export const QueueEntry = z.object({
  id: z.number().int(),
  kind: z.enum(['device', 'csr-file']),
  deviceId: z.string(),
  profile: z.string(),
  status: z.enum(['queued', 'pending', 'synced', 'delivered', 'failed']),
  attempts: z.number().int(),
  nextAttemptAt: z.string(),
  certSerial: z.string().optional(),
  code: z.string().optional(),
  message: z.string().optional(),
});
export type QueueEntry = z.infer<typeof QueueEntry>;

export const queueMethods = {
  'queue:list': {
    kind: 'query',
    access: 'read',
    summary: 'Everything the station owes or has settled.',
    request: z.object({}).strict(),
    response: z.array(QueueEntry),
  },
  'queue:sync': {
    kind: 'command',
    access: 'operate',
    summary: 'Ask the services for every open item now.',
    request: z.object({}).strict(),
    response: z.array(QueueEntry),
  },
} as const;

export const queueEvents = {
  'queue:changed': {
    summary: 'Queue items changed (synced, failed, still pending).',
    payload: z.object({ entries: z.array(QueueEntry) }),
  },
} as const;
