// A full disk and a read-only data folder, as the codes a person can act on. SQLite says
// SQLITE_FULL / SQLITE_READONLY*, Node's file calls ENOSPC / EROFS; either way the step that met it
// did not commit, so the device is where its last committed step left it and resumes from there.
import { EnrollerError } from '../../shared/errors';

export function diskError(error: unknown): unknown {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'string') return error;
  if (code === 'SQLITE_FULL' || code === 'ENOSPC')
    return new EnrollerError(
      'DISK_FULL',
      "The disk that holds the station's data is full: the device stopped at the step it was on, and nothing " +
        'half-written counts as done. Free some space, then run again: it resumes from its last committed step.',
      { cause: code },
    );
  if (code.startsWith('SQLITE_READONLY') || code === 'EROFS')
    return new EnrollerError(
      'DISK_READ_ONLY',
      "The station's data folder cannot be written (read-only): nothing was recorded for this step. Make it " +
        'writable, then run again: the device resumes from its last committed step.',
      { cause: code },
    );
  return error;
}
