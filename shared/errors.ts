// Errors cross every boundary (IPC, WebSocket, CLI JSON) as data with a stable code.
// Callers branch on `code`, never on the message: messages are for people and may be reworded.
import { z } from 'zod';

/** Every code the station can report. Append only: line automation matches on these strings. */
export const errorCodes = [
  // contract
  'CONTRACT_INVALID_REQUEST',
  'CONTRACT_INVALID_RESPONSE',
  'CONTRACT_UNKNOWN_METHOD',
  'CONTRACT_VERSION_MISMATCH',
  'STATION_UNREACHABLE',
  'STATION_TIMEOUT',
  // station
  'STATION_NOT_READY',
  'STORE_UNSAFE_PRAGMA',
  'STORE_MIGRATION_FAILED',
  'STORE_NEWER_SCHEMA',
  'INTERNAL',
] as const;

export const ErrorCode = z.enum(errorCodes);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const ErrorData = z.object({
  code: ErrorCode,
  message: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type ErrorData = z.infer<typeof ErrorData>;

/** The one error type main throws on purpose. Anything else is reported as INTERNAL. */
export class EnrollerError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EnrollerError';
    this.code = code;
    this.details = details;
  }

  toData(): ErrorData {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

export function isEnrollerError(error: unknown): error is EnrollerError {
  return error instanceof EnrollerError;
}
