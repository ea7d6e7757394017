// Backups on a schedule while the station runs (`serve --backup-dir`): one every interval into a
// folder, the newest `keep` kept, each on the audit record and in backups.json. A backup that
// fails (a full disk, the folder gone) is logged and tried again at the next interval; it never
// stops the station.
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../log';
import { writeBackup } from '../store/backup';
import { rememberBackup } from './backup-record';
import type { Station } from './station';

export interface BackupScheduleOptions {
  readonly dir: string;
  readonly everyMs: number;
  readonly keep: number;
  /** The passphrase that seals each backup (the session's, read when each backup is taken). */
  readonly passphrase: () => string | undefined;
  readonly log: Logger;
}

const NAME = /^station-\d{8}T\d{6}\d{3}Z\.backup$/;

export function startBackupSchedule(station: Station, options: BackupScheduleOptions): { stop(): Promise<void> } {
  fs.mkdirSync(options.dir, { recursive: true, mode: 0o700 });
  let running: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(() => takeOne(station, options)).catch(() => undefined);
  }, options.everyMs);
  timer.unref();
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}

async function takeOne(station: Station, options: BackupScheduleOptions): Promise<void> {
  const passphrase = options.passphrase();
  if (!passphrase) return void options.log.warn('scheduled backup skipped: the station is locked');
  const now = new Date();
  const file = path.join(options.dir, `station-${now.toISOString().replace(/[-:.]/g, '')}.backup`);
  try {
    const manifest = await writeBackup(station.db, file, passphrase, now);
    station.audit.append('station.backed-up', 'station', { file, scheduled: true, ...manifest.counts }, 'station');
    rememberBackup(station.dataDir, { file, createdAt: manifest.createdAt });
    prune(options.dir, options.keep);
  } catch (error) {
    options.log.error({ err: error, file }, 'scheduled backup failed; trying again at the next interval');
  }
}

/** Keeps the newest `keep` of this schedule's backups in the folder; nothing else there is touched. */
function prune(dir: string, keep: number): void {
  const ours = fs
    .readdirSync(dir)
    .filter((name) => NAME.test(name))
    .sort()
    .reverse();
  for (const name of ours.slice(keep)) fs.rmSync(path.join(dir, name), { force: true });
}

/** `30m`, `6h`, `1d`, `45s` as milliseconds. */
export function parseInterval(text: string): number {
  const match = /^(\d+)(s|m|h|d)$/.exec(text.trim());
  if (!match) throw new TypeError(`"${text}" is not an interval such as 30m, 6h or 1d.`);
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}
