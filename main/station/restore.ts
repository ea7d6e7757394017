// Putting a backup back (#22). Nothing is replaced until the backup has proved itself (backup.ts's
// checks); the database it replaces is kept aside, never deleted; and a restore that would make the
// station forget what it issued since the backup — certificates, queue items — is refused unless
// the person says --force, with the count of what would be forgotten.
import fs from 'node:fs';
import path from 'node:path';
import { EnrollerError } from '../../shared/errors';
import { openBackup, type BackupManifest } from '../store/backup';
import { AuditLog } from '../store/audit-log';
import { openDatabase, sqliteConnection, type Db } from '../store/database';
import { RESTORED_FROM_KEY } from '../store/recovered-certificates';
import { SettingsStore } from '../store/settings-store';
import { DATABASE_FILE } from './station-info';
import { rememberBackup } from './backup-record';

export interface Restored {
  readonly manifest: BackupManifest;
  /** Where the database it replaced was kept (none when the folder had none). */
  readonly keptAside?: string;
  /** What the replaced ledger had that the backup has not (only with --force). */
  readonly forgotten?: Forgotten;
}

export interface Forgotten {
  /** Issued by the station CA since the backup. */
  readonly certificates: number;
  /** Issued by a remote service (EST, SCEP) and written into a device since the backup. */
  readonly serviceCertificates: number;
  readonly queueItems: number;
  readonly auditRows: number;
}

export function restoreStation(
  dataDir: string,
  file: string,
  passphrase: string,
  options: { force: boolean; actor: string; now?: Date },
): Restored {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const current = path.join(dataDir, DATABASE_FILE);
  const staging = path.join(dataDir, `${DATABASE_FILE}.restoring-${process.pid}`);
  let manifest: BackupManifest;
  try {
    manifest = openBackup(file, passphrase, staging);
  } catch (error) {
    fs.rmSync(staging, { force: true });
    throw error;
  }
  const forgotten = fs.existsSync(current) ? newerThan(current, manifest) : undefined;
  if (forgotten && !options.force) {
    fs.rmSync(staging, { force: true });
    throw new EnrollerError(
      'RESTORE_WOULD_FORGET',
      `The station's ledger is newer than ${file} (${manifest.createdAt}): restoring it would forget ` +
        `${forgotten.certificates} certificate(s) issued by the station CA and ${forgotten.serviceCertificates} ` +
        `from a service, ${forgotten.queueItems} queue item(s) and ${forgotten.auditRows} audit row(s) added since. ` +
        'Nothing was changed. Give --force to restore anyway (the current database is kept aside).',
      { ...forgotten },
    );
  }
  const stamp = (options.now ?? new Date()).toISOString().replace(/[:.]/g, '-');
  const keptAside = fs.existsSync(current) ? path.join(dataDir, `${DATABASE_FILE}.replaced-${stamp}`) : undefined;
  if (keptAside) for (const suffix of ['', '-wal', '-shm']) moveIfThere(current + suffix, keptAside + suffix);
  fs.renameSync(staging, current);
  const db = openDatabase(current);
  try {
    // From now on a device holding a certificate this station issued and forgot is recognised by it.
    new SettingsStore(db).put(RESTORED_FROM_KEY, {
      file: path.resolve(file),
      createdAt: manifest.createdAt,
      restoredAt: (options.now ?? new Date()).toISOString(),
    });
    new AuditLog(db).append(
      'station.restored',
      'station',
      {
        file: path.resolve(file),
        backupCreatedAt: manifest.createdAt,
        backupAuditHead: manifest.auditHead,
        ...(keptAside ? { keptAside } : {}),
        ...(forgotten ? { forced: true, forgotten } : {}),
      },
      options.actor,
    );
  } finally {
    db.close();
  }
  rememberBackup(dataDir, { file: path.resolve(file), createdAt: manifest.createdAt });
  return { manifest, ...(keptAside ? { keptAside } : {}), ...(forgotten ? { forgotten } : {}) };
}

/**
 * What the current ledger has beyond the backup; undefined when it has nothing more. A database
 * that cannot be read at all (what a restore is often for) has nothing to lose here.
 */
function newerThan(file: string, manifest: BackupManifest): Forgotten | undefined {
  let db: Db | undefined;
  try {
    db = sqliteConnection(file, { readonly: true, fileMustExist: true });
    const since = manifest.createdAt;
    const count = (sql: string) => (db!.prepare(sql).get(since) as { n: number }).n;
    const head = db.prepare('SELECT max(seq) AS seq FROM audit_log').get() as { seq: number | null };
    const auditRows = Math.max(0, (head.seq ?? 0) - manifest.auditHead.seq);
    const forgotten = {
      certificates: count("SELECT COUNT(*) AS n FROM certificates WHERE status != 'reserved' AND created_at > ?"),
      serviceCertificates: count(
        'SELECT COUNT(*) AS n FROM jobs j WHERE j.cert_der IS NOT NULL AND j.updated_at > ? AND NOT EXISTS ' +
          '(SELECT 1 FROM certificates c WHERE c.serial = j.cert_serial)',
      ),
      queueItems: count('SELECT COUNT(*) AS n FROM queue WHERE created_at > ?'),
      auditRows,
    };
    const total = forgotten.certificates + forgotten.serviceCertificates + forgotten.queueItems + forgotten.auditRows;
    return total > 0 ? forgotten : undefined;
  } catch {
    return undefined;
  } finally {
    db?.close();
  }
}

function moveIfThere(from: string, to: string): void {
  if (fs.existsSync(from)) fs.renameSync(from, to);
}
