// Turning a contract error into words for the person at the station, with field issues listed
// the way main reports them (`path: message`).
import { ApiError } from '../api/errors';

export interface Problem {
  readonly message: string;
  readonly code?: string;
  readonly issues: readonly { path: string; message: string }[];
}

export function problemOf(error: unknown): Problem {
  if (!(error instanceof ApiError)) return { message: String(error), issues: [] };
  const raw = error.details?.issues;
  const issues = Array.isArray(raw) ? raw.filter((i): i is { path: string; message: string } => typeof i?.path === 'string' && typeof i?.message === 'string') : [];
  return { message: error.message, code: error.code, issues };
}
