// Backups of the station's one SQLite file (#22): a consistent snapshot taken while the station
// runs (SQLite's online backup API — never a copy of a live WAL file), sealed with a passphrase
// (AES-256-GCM under scrypt, secret-box.ts; the CA keys inside stay encrypted as well), with a
// manifest in the clear that says what it is and is bound to the seal so it cannot be swapped.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EnrollerError } from '../../shared/errors';
import { open, seal } from '../pki/secret-box';
import { verifyAuditChain } from './audit-log';
import { schemaVersion, sqliteConnection, type Db } from './database';
import { latestSchemaVersion } from './migrations';

export const BACKUP_FORMAT = 'floor-enroller-backup';

export interface BackupManifest {
  readonly format: typeof BACKUP_FORMAT;
  readonly version: 1;
  readonly createdAt: string;
  readonly schemaVersion: number;
  /** The audit chain's head at the snapshot: what a restore compares against the ledger it replaces. */
  readonly auditHead: { readonly seq: number; readonly hash: string };
  readonly counts: BackupCounts;
  /** SHA-256 of the database file inside. */
  readonly sha256: string;
}

export interface BackupCounts {
  readonly certificates: number;
  readonly devices: number;
  readonly queue: number;
  readonly auditRows: number;
}

interface BackupFile {
  readonly manifest: BackupManifest;
  /** The database file, base64, sealed with the manifest as associated data. */
  readonly sealed: string;
}

/** Snapshots `db` into `out`, sealed with `passphrase`; returns the manifest. Atomic: temp file, then rename. */
export async function writeBackup(db: Db, out: string, passphrase: string, now = new Date()): Promise<BackupManifest> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'enroller-backup-'));
  try {
    const snapshot = path.join(work, 'station.sqlite');
    await db.backup(snapshot);
    const bytes = fs.readFileSync(snapshot);
    const copy = sqliteConnection(snapshot, { readonly: true });
    let manifest: BackupManifest;
    try {
      manifest = {
        format: BACKUP_FORMAT,
        version: 1,
        createdAt: now.toISOString(),
        schemaVersion: schemaVersion(copy),
        auditHead: headOf(copy),
        counts: countsOf(copy),
        sha256: crypto.createHash('sha256').update(bytes).digest('hex'),
      };
    } finally {
      copy.close();
    }
    const file: BackupFile = { manifest, sealed: seal(bytes.toString('base64'), passphrase, contextOf(manifest)) };
    const staging = `${out}.${process.pid}.tmp`;
    fs.writeFileSync(staging, JSON.stringify(file), { mode: 0o600 });
    fs.renameSync(staging, out);
    return manifest;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** The manifest alone (no passphrase needed), or a coded refusal when the file is not a backup. */
export function readManifest(file: string): BackupManifest {
  return parseBackup(file).manifest;
}

/**
 * Opens a backup into `target` (a new file) and checks it before anything relies on it: the seal,
 * the bytes against the manifest, SQLite's integrity_check, a schema this station knows, and an
 * unbroken audit chain that ends at the manifest's head.
 */
export function openBackup(file: string, passphrase: string, target: string): BackupManifest {
  const { manifest, sealed } = parseBackup(file);
  let base64: string;
  try {
    base64 = open(sealed, passphrase, contextOf(manifest));
  } catch {
    throw new EnrollerError(
      'BACKUP_WRONG_PASSPHRASE',
      `The passphrase does not open ${file}, or the file was changed after it was written.`,
    );
  }
  const bytes = Buffer.from(base64, 'base64');
  if (crypto.createHash('sha256').update(bytes).digest('hex') !== manifest.sha256)
    throw new EnrollerError('BACKUP_INVALID', `${file} holds a database other than its manifest names.`);
  if (manifest.schemaVersion > latestSchemaVersion)
    throw new EnrollerError(
      'STORE_NEWER_SCHEMA',
      `${file} was written by a newer station (schema ${manifest.schemaVersion}; this one knows ` +
        `${latestSchemaVersion}). Update the station first.`,
    );
  fs.writeFileSync(target, bytes, { mode: 0o600 });
  // Read-write, so that closing it leaves no -wal or -shm beside the file that is renamed into place.
  const copy = sqliteConnection(target);
  try {
    const integrity = copy.pragma('integrity_check', { simple: true });
    if (integrity !== 'ok')
      throw new EnrollerError('BACKUP_INVALID', `${file} fails SQLite's integrity check (${String(integrity)}).`);
    const audit = verifyAuditChain(copy, manifest.auditHead);
    if (!audit.ok) throw new EnrollerError('BACKUP_INVALID', `The audit trail in ${file} is broken: ${audit.message}`);
  } finally {
    copy.close();
  }
  return manifest;
}

export function headOf(db: Db): { seq: number; hash: string } {
  const last = db
    .prepare<[], { seq: number; hash: string }>('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1')
    .get();
  return last ?? { seq: 0, hash: '0'.repeat(64) };
}

export function countsOf(db: Db): BackupCounts {
  const count = (table: string) => (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
  return {
    certificates: count('certificates'),
    devices: count('devices'),
    queue: count('queue'),
    auditRows: count('audit_log'),
  };
}

function parseBackup(file: string): BackupFile {
  let parsed: Partial<BackupFile>;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<BackupFile>;
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code ?? 'not JSON';
    throw new EnrollerError('BACKUP_INVALID', `${file} is not a station backup (${why}).`);
  }
  if (parsed.manifest?.format !== BACKUP_FORMAT || parsed.manifest.version !== 1 || typeof parsed.sealed !== 'string')
    throw new EnrollerError('BACKUP_INVALID', `${file} is not a station backup of a format this station reads.`);
  return parsed as BackupFile;
}

/** The manifest bound into the seal: a backup's manifest cannot be edited or swapped for another's. */
function contextOf(manifest: BackupManifest): string {
  return `backup:${crypto.createHash('sha256').update(JSON.stringify(manifest)).digest('hex')}`;
}
