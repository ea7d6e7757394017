// A contract error surfaced in the UI: the stable code decides what to show, the message is
// what the technician reads.
import type { ErrorCode, ErrorData } from '../../../shared/errors';

export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(data: ErrorData) {
    super(data.message);
    this.name = 'ApiError';
    this.code = data.code;
    this.details = data.details;
  }
}
