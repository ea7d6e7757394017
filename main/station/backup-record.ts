// Which backups this station knows of, kept beside the database rather than in it: when the
// database itself is damaged, the refusal must still name the newest backup to restore from.
import fs from 'node:fs';
import path from 'node:path';

export const BACKUP_RECORD_FILE = 'backups.json';
const KEEP = 50;

export interface KnownBackup {
  readonly file: string;
  readonly createdAt: string;
}

export function rememberBackup(dataDir: string, backup: KnownBackup): void {
  const known = [backup, ...knownBackups(dataDir).filter((b) => b.file !== backup.file)].slice(0, KEEP);
  const record = path.join(dataDir, BACKUP_RECORD_FILE);
  const staging = `${record}.${process.pid}.tmp`;
  fs.writeFileSync(staging, JSON.stringify(known, null, 2), { mode: 0o600 });
  fs.renameSync(staging, record);
}

/** Newest first; the ones whose file is gone are left out. */
export function knownBackups(dataDir: string): KnownBackup[] {
  try {
    const list = JSON.parse(fs.readFileSync(path.join(dataDir, BACKUP_RECORD_FILE), 'utf8')) as KnownBackup[];
    return list
      .filter((b) => typeof b.file === 'string' && typeof b.createdAt === 'string' && fs.existsSync(b.file))
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  } catch {
    return [];
  }
}

/** "The newest backup is /path (2026-…): `enroller restore /path`." — or what to do without one. */
export function wayBack(dataDir: string): string {
  const [newest] = knownBackups(dataDir);
  return newest
    ? `The newest backup this station knows is ${newest.file} (${newest.createdAt}): ` +
        `\`enroller restore ${newest.file}\`.`
    : 'This station knows of no backup: restore one you keep elsewhere with `enroller restore FILE`.';
}
