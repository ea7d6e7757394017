// Refusals in a supervisor's words: zod's generic sentences rewritten, the schemas' own kept.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DeviceTypeDocument } from '../../../shared/device-type';
import { fieldIssues } from '../../../shared/field-issues';

const issuesOf = (schema: z.ZodType, value: unknown) => fieldIssues(schema.safeParse(value).error!);

describe('field issues in words', () => {
  it('says bounds, types, choices and unknown fields plainly', () => {
    const schema = z
      .object({
        validityDays: z.number().int().min(1),
        name: z.string().min(1),
        tags: z.array(z.string()).min(2),
        kind: z.enum(['birth', 'operational']),
        port: z.number(),
      })
      .strict();
    const issues = issuesOf(schema, { validityDays: 0, name: '', tags: [], kind: 'x', port: 'y', colour: 1 });
    expect(Object.fromEntries(issues.map((i) => [i.path, i.message]))).toEqual({
      validityDays: 'must be at least 1',
      name: 'is required',
      tags: 'needs at least 2',
      kind: 'must be one of: birth, operational',
      port: 'must be a number',
      '': 'unknown field: colour',
    });
    expect(issuesOf(z.object({ a: z.string() }), {})).toEqual([{ path: 'a', message: 'is required' }]);
  });

  it("keeps a schema's own sentence", () => {
    const issues = issuesOf(DeviceTypeDocument, { name: 'Line 3' });
    expect(issues.find((i) => i.path === 'name')?.message).toBe('lower-case letters, digits and dashes');
  });
});
