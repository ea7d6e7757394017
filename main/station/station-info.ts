// The station's data folder and database file, and what `info` says about them. Kept apart from
// Station so `enroller info` opens the database without loading the CA, the enrollers and the
// devices (start-up time, #18).
import fs from 'node:fs';
import path from 'node:path';
import type { StationInfo } from '../../shared/contract';
import { CONTRACT_VERSION } from '../../shared/contract/version';
import { EnrollerError, isEnrollerError } from '../../shared/errors';
import { openDatabase, schemaVersion, type Db } from '../store/database';
import { diskError, folderRefusal, readOnlyFolder } from '../store/disk-errors';
import { knownBackups, wayBack } from './backup-record';

export const DATABASE_FILE = 'station.sqlite';

/**
 * The station's database, created with its folder on first use and migrated to this version. A
 * long-running station (`check: 'quick'`) runs SQLite's quick_check first. A damaged or foreign
 * file is a coded refusal that names the way back (the newest backup known), never a bare
 * "file is not a database".
 */
export function openStationDatabase(dataDir: string, options: { check?: 'quick' } = {}): Db {
  // 0700: the folder will hold the encrypted CA key and the audit trail.
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, DATABASE_FILE);
  let db: Db | undefined;
  try {
    db = openDatabase(file);
    const verdict = options.check === 'quick' ? String(db.pragma('quick_check', { simple: true })) : 'ok';
    if (verdict !== 'ok') throw damaged(file, dataDir, verdict);
    return db;
  } catch (error) {
    db?.close();
    throw storeError(error, file, dataDir);
  }
}

/** SQLite's own words for a damaged or foreign file, as the codes and sentences a person can act on. */
export function storeError(error: unknown, file: string, dataDir: string): unknown {
  const code = (error as { code?: string }).code;
  if (code === 'SQLITE_NOTADB')
    return new EnrollerError(
      'STORE_NOT_A_DATABASE',
      `${file} is not a station database (it may have been overwritten or is another program's file). ` +
        wayBack(dataDir),
      { file },
    );
  if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_CORRUPT_INDEX') return damaged(file, dataDir, String(error));
  // A newer station wrote it: updating this one is the way forward; an older backup, the way back.
  if (isEnrollerError(error) && error.code === 'STORE_NEWER_SCHEMA')
    return new EnrollerError('STORE_NEWER_SCHEMA', `${error.message} ${wayBack(dataDir)}`, {
      ...error.details,
      file,
    });
  if (isEnrollerError(error) && error.code === 'STORE_MIGRATION_FAILED') {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    if (cause === 'SQLITE_CORRUPT') return damaged(file, dataDir, 'during the upgrade');
  }
  if (code === 'SQLITE_CANTOPEN') {
    // SQLite needs its -wal and -shm files beside the database: a folder it may not write fails the open.
    const refused = folderRefusal(dataDir);
    if (refused) return readOnlyFolder(dataDir, refused);
  }
  return diskError(error, file);
}

function damaged(file: string, dataDir: string, said: string): EnrollerError {
  return new EnrollerError(
    'STORE_CORRUPT',
    `The station database ${file} is damaged (${said.slice(0, 200)}). Nothing was changed. ${wayBack(dataDir)}`,
    { file },
  );
}

export function stationInfo(
  db: Db,
  about: { dataDir: string; appVersion: string; mode: StationInfo['mode'] },
): StationInfo {
  return {
    appVersion: about.appVersion,
    contractVersion: CONTRACT_VERSION,
    dataDir: about.dataDir,
    schemaVersion: schemaVersion(db),
    mode: about.mode,
    lastBackup: knownBackups(about.dataDir)[0] ?? null,
  };
}
