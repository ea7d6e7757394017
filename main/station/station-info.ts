// The station's data folder and database file, and what `info` says about them. Kept apart from
// Station so `enroller info` opens the database without loading the CA, the enrollers and the
// devices (start-up time, #18).
import fs from 'node:fs';
import path from 'node:path';
import type { StationInfo } from '../../shared/contract';
import { CONTRACT_VERSION } from '../../shared/contract/version';
import { openDatabase, schemaVersion, type Db } from '../store/database';

export const DATABASE_FILE = 'station.sqlite';

/** The station's database, created with its folder on first use and migrated to this version. */
export function openStationDatabase(dataDir: string): Db {
  // 0700: the folder will hold the encrypted CA key and the audit trail.
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  return openDatabase(path.join(dataDir, DATABASE_FILE));
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
  };
}
