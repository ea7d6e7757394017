// A zod error as the list of bad fields every layer reports: `path` dotted ("certificate.validityDays"),
// the message for a person. Main puts it in an error's `details.issues`; the UI lists it.
import type { z } from 'zod';

export interface FieldIssue {
  readonly path: string;
  readonly message: string;
}

export function fieldIssues(error: z.ZodError): FieldIssue[] {
  return error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
}
