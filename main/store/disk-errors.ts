// A full disk and a read-only data folder, as the codes a person can act on. SQLite says
// SQLITE_FULL / SQLITE_READONLY*, Node's file calls ENOSPC / EROFS; either way the step that met it
// did not commit, so the device is where its last committed step left it and resumes from there.
import fs from 'node:fs';
import path from 'node:path';
import { EnrollerError } from '../../shared/errors';

export function diskError(error: unknown, databaseFile?: string): unknown {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'string') return error;
  // A file system that met an error and went read-only under an open database (ext4
  // errors=remount-ro) answers the open file with EIO; the folder says what happened.
  if ((code.startsWith('SQLITE_IOERR') || code === 'EIO') && databaseFile) {
    const folder = path.dirname(databaseFile);
    if (folderRefusal(folder)) return readOnlyFolder(folder, code);
  }
  if (code === 'SQLITE_FULL' || code === 'ENOSPC')
    return new EnrollerError(
      'DISK_FULL',
      "The disk that holds the station's data is full: the device stopped at the step it was on, and nothing " +
        'half-written counts as done. Free some space, then run again: it resumes from its last committed step.',
      { cause: code },
    );
  if (code.startsWith('SQLITE_READONLY') || code === 'EROFS') return readOnlyFolder(undefined, code);
  return error;
}

/**
 * EROFS or EACCES when a file is made in the folder, else undefined. Made, not asked (access(2)):
 * ext4 gone read-only after an error still answers access() as writable.
 */
export function folderRefusal(folder: string): string | undefined {
  const probe = path.join(folder, `.write-probe-${process.pid}`);
  try {
    fs.closeSync(fs.openSync(probe, 'w'));
    fs.rmSync(probe, { force: true });
    return undefined;
  } catch (error) {
    const code = (error as { code?: string }).code;
    return code === 'EROFS' || code === 'EACCES' ? code : undefined;
  }
}

/** The data folder refused a write: read-only, not this user's (EACCES), or gone read-only after an error (EIO). */
export function readOnlyFolder(dataDir: string | undefined, cause: string): EnrollerError {
  const folder = dataDir ? `The station's data folder ${dataDir}` : "The station's data folder";
  const why =
    cause === 'EACCES'
      ? 'permission denied'
      : cause === 'EIO' || cause.startsWith('SQLITE_IOERR')
        ? 'its file system went read-only after a disk error'
        : 'read-only';
  return new EnrollerError(
    'DISK_READ_ONLY',
    `${folder} cannot be written (${why}): nothing was ` +
      'recorded for this step. Make it writable, then run again: the device resumes from its last committed step.',
    dataDir ? { cause, dataDir } : { cause },
  );
}
