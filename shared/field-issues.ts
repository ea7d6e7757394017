// A zod error as the list of bad fields every layer reports: `path` dotted ("certificate.validityDays"),
// the message for a person. Main puts it in an error's `details.issues`; the UI lists it at the
// field. The schemas' own sentences are kept; zod's generic ones ("Too small: expected number to
// be >=1") are said the way a supervisor would.
import type { z } from 'zod';

export interface FieldIssue {
  readonly path: string;
  readonly message: string;
}

export function fieldIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: inWords(i) }));
}

const GENERIC = /^(Too small|Too big|Invalid input|Invalid option|Unrecognized key)/;

function inWords(issue: z.core.$ZodIssue): string {
  if (!GENERIC.test(issue.message)) return issue.message;
  switch (issue.code) {
    case 'too_small':
      return bound('at least', issue.origin, issue.minimum);
    case 'too_big':
      return bound('at most', issue.origin, issue.maximum);
    case 'invalid_type':
      return /received undefined/.test(issue.message) ? 'is required' : `must be ${article(issue.expected)}`;
    case 'invalid_value':
      return `must be one of: ${issue.values.map(String).join(', ')}`;
    case 'unrecognized_keys':
      return `unknown field${issue.keys.length > 1 ? 's' : ''}: ${issue.keys.join(', ')}`;
    default:
      return issue.message;
  }
}

function bound(words: string, origin: string, limit: number | bigint): string {
  if (origin === 'string')
    return Number(limit) === 1 && words === 'at least' ? 'is required' : `${words} ${limit} characters`;
  if (origin === 'array' || origin === 'set') return `needs ${words} ${limit}`;
  return `must be ${words} ${limit}`;
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}
