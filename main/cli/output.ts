// How every CLI command reports: one JSON object per line with --json (for line automation),
// otherwise a sentence for a person. Errors always carry their stable code.
import { diskError } from '../store/disk-errors';
import { isEnrollerError } from '../../shared/errors';
import { invocation } from './invocation';

export interface Output {
  readonly json: boolean;
  /** A result record: JSON line, or the human text. */
  record(value: Record<string, unknown>, human: string): void;
  /** Many result records in one write, in order: as `record` for each, for one system call. */
  records(records: ReadonlyArray<readonly [value: Record<string, unknown>, human: string]>): void;
  /** A failure: `{status, code, message}` as JSON, or "error CODE: message" on stderr. */
  fail(code: string, message: string, details?: Record<string, unknown>): void;
}

export function createOutput(json: boolean): Output {
  const line = (value: Record<string, unknown>, human: string) => (json ? `${JSON.stringify(value)}\n` : `${human}\n`);
  return {
    json,
    record(value, human) {
      invocation().stdout.write(line(value, human));
    },
    records(records) {
      if (records.length > 0) invocation().stdout.write(records.map(([value, human]) => line(value, human)).join(''));
    },
    fail(code, message, details) {
      if (json)
        invocation().stdout.write(
          `${JSON.stringify({ status: 'failed', code, message, ...(details ? { details } : {}) })}\n`,
        );
      else invocation().stderr.write(`error ${code}: ${message}\n`);
    },
  };
}

export function describeError(thrown: unknown): { code: string; message: string; details?: Record<string, unknown> } {
  const error = diskError(thrown);
  if (isEnrollerError(error))
    return { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) };
  return { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) };
}
