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

export const ExportFormat = z.enum(['nrfcloud', 'azure-dps', 'aws', 'report']);

export const auditMethods = {
  'export:batch': {
    kind: 'query',
    access: 'read',
    summary:
      "A batch's provisioned devices (or all) as nRF Cloud onboarding CSV, Azure DPS enrollments, AWS bulk " +
      'registration lines, or a JSON report per device — as `enroller export` writes them.',
    request: z
      .object({
        format: ExportFormat,
        batchId: z.string().min(1).optional(),
        tags: z.array(z.string().min(1).max(64)).max(20).optional(),
        subType: z.string().min(1).max(64).optional(),
      })
      .strict(),
    response: z.object({ fileName: z.string(), mediaType: z.string(), text: z.string(), devices: z.number().int() }),
  },
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
