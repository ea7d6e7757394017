// The audit trail as the UI sees it: search it, and verify its hash chain.
import { z } from 'zod';

export const AuditRow = z.object({
  seq: z.number().int(),
  at: z.string(),
  actor: z.string(),
  action: z.string(),
  subject: z.string(),
  details: z.string(),
});
export type AuditRow = z.infer<typeof AuditRow>;

export const AuditVerdict = z.object({
  ok: z.boolean(),
  rows: z.number().int(),
  head: z.string().optional(),
  seq: z.number().int().optional(),
  problem: z.enum(['edited', 'deleted', 'inserted', 'reordered', 'truncated']).optional(),
  message: z.string().optional(),
});
export type AuditVerdict = z.infer<typeof AuditVerdict>;

export const auditMethods = {
  'audit:list': {
    kind: 'query',
    access: 'read',
    summary: 'The newest audit rows, optionally only those whose action, subject or actor contains the search text.',
    request: z
      .object({ search: z.string().max(200).optional(), limit: z.number().int().min(1).max(1000).optional() })
      .strict(),
    response: z.array(AuditRow),
  },
  'audit:verify': {
    kind: 'query',
    access: 'read',
    summary: 'Check the whole hash chain; names the first broken row.',
    request: z.object({}).strict(),
    response: AuditVerdict,
  },
} as const;
