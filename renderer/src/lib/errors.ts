// Turning a contract error into words for the person at the station, with field issues listed
// the way main reports them (`path: message`).
import { ApiError } from '../api/errors';
import type { FieldIssue } from '../../../shared/field-issues';

export interface Problem {
  readonly message: string;
  readonly code?: string;
  readonly issues: readonly FieldIssue[];
}

export function problemOf(error: unknown): Problem {
  if (!(error instanceof ApiError)) return { message: String(error), issues: [] };
  const raw = error.details?.issues;
  const issues = Array.isArray(raw)
    ? raw.filter((i): i is FieldIssue => typeof i?.path === 'string' && typeof i?.message === 'string')
    : [];
  return { message: error.message, code: error.code, issues };
}
