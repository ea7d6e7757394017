// Backups on a schedule while the station runs — the app and `serve` alike: one every interval
// into a folder, the newest `keep` kept, each on the audit record and in backups.json. The plan is
// saved in the station's settings (a supervisor sets it in the window); `serve --backup-dir` gives
// one for that run instead. A backup that fails (a full disk, the folder gone) is logged and tried
// again at the next interval; it never stops the station.
import fs from 'node:fs';
import path from 'node:path';
import type { BackupPlan, BackupStatus } from '../../shared/contract';
import { EnrollerError } from '../../shared/errors';
import type { Logger } from '../log';
import { writeBackup } from '../store/backup';
import { SettingsStore } from '../store/settings-store';
import { knownBackups, rememberBackup, type KnownBackup } from './backup-record';
import type { Station } from './station';

const PLAN_SETTING = 'backup.schedule';
const NAME = /^station-\d{8}T\d{6}\d{3}Z\.backup$/;

export interface BackupScheduleOptions {
  /** The passphrase that seals each backup (the session's, read when each backup is taken). */
  readonly passphrase: () => string | undefined;
  readonly log: Logger;
}

export class BackupSchedule {
  readonly #station: Station;
  readonly #options: BackupScheduleOptions;
  #plan: BackupPlan | null = null;
  #source: BackupStatus['source'] = null;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> = Promise.resolve();

  constructor(station: Station, options: BackupScheduleOptions) {
    this.#station = station;
    this.#options = options;
  }

  /** Starts the plan saved in the station's settings, if there is one. */
  startSaved(): this {
    const saved = new SettingsStore(this.#station.db).get<BackupPlan>(PLAN_SETTING);
    if (saved) this.start(saved, 'settings');
    return this;
  }

  /**
   * Runs this plan from now on (the one before stops). The folder is made at each backup, not here:
   * a backup disk that is not plugged in when the station starts must not stop the station.
   */
  start(plan: BackupPlan, source: NonNullable<BackupStatus['source']>): void {
    const everyMs = parseInterval(plan.every);
    clearInterval(this.#timer);
    this.#plan = plan;
    this.#source = source;
    this.#timer = setInterval(() => void this.#queue(() => this.#scheduled()), everyMs);
    this.#timer.unref();
  }

  /** A supervisor's plan: saved in the settings (null removes it), on the audit record, running at once. */
  save(plan: BackupPlan | null, actor: string): BackupStatus {
    if (plan) {
      const dir = path.resolve(plan.dir);
      usableFolder(dir); // a supervisor choosing a folder hears at once that it cannot be used
      this.start({ ...plan, dir }, 'settings');
    } else this.#halt();
    new SettingsStore(this.#station.db).put(PLAN_SETTING, this.#plan ?? undefined);
    this.#station.audit.append('backup.scheduled', 'station', { plan: this.#plan }, actor);
    return this.status();
  }

  /** A backup now, into the plan's folder: refused without a folder or while the station is locked. */
  async takeNow(actor: string): Promise<BackupStatus> {
    const plan = this.#plan;
    if (!plan)
      throw new EnrollerError(
        'BACKUP_NO_FOLDER',
        'Choose a folder for backups first (Settings → Backups), or run `enroller backup --out FILE`.',
      );
    await this.#queue(() => this.#take(plan, actor, this.#sealWith(), false));
    return this.status();
  }

  status(): BackupStatus {
    return {
      plan: this.#plan,
      source: this.#source,
      lastBackup: knownBackups(this.#station.dataDir)[0] ?? null,
      locked: this.#options.passphrase() === undefined,
    };
  }

  async stop(): Promise<void> {
    this.#halt();
    await this.#running.catch(() => undefined);
  }

  #halt(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#plan = null;
    this.#source = null;
  }

  /** One backup at a time: a slow one and the next tick never write side by side. */
  #queue<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#running.catch(() => undefined).then(work);
    this.#running = next;
    return next;
  }

  async #scheduled(): Promise<void> {
    const plan = this.#plan;
    if (!plan) return;
    const passphrase = this.#options.passphrase();
    if (!passphrase) return void this.#options.log.warn('scheduled backup skipped: the station is locked');
    try {
      await this.#take(plan, 'station', passphrase, true);
    } catch (error) {
      this.#options.log.error(
        { err: error, dir: plan.dir },
        'scheduled backup failed; trying again at the next interval',
      );
    }
  }

  #sealWith(): string {
    const passphrase = this.#options.passphrase();
    if (passphrase === undefined)
      throw new EnrollerError(
        'CA_PASSPHRASE_REQUIRED',
        'Unlock the station first: a backup is sealed with the station passphrase.',
      );
    return passphrase;
  }

  async #take(plan: BackupPlan, actor: string, passphrase: string, scheduled: boolean): Promise<KnownBackup> {
    usableFolder(plan.dir);
    const now = new Date();
    const file = path.join(plan.dir, `station-${now.toISOString().replace(/[-:.]/g, '')}.backup`);
    const manifest = await writeBackup(this.#station.db, file, passphrase, now);
    this.#station.audit.append('station.backed-up', 'station', { file, scheduled, ...manifest.counts }, actor);
    const backup = { file, createdAt: manifest.createdAt };
    rememberBackup(this.#station.dataDir, backup);
    prune(plan.dir, plan.keep);
    return backup;
  }
}

/** Makes the folder (owner-only) if needed; one that cannot be made or written is BACKUP_NO_FOLDER, in words. */
function usableFolder(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown';
    throw new EnrollerError(
      'BACKUP_NO_FOLDER',
      `Backups cannot be written to ${dir} (${code}): choose a folder this station may write, on another disk.`,
      { dir, cause: code },
    );
  }
}

/** Keeps the newest `keep` of the schedule's backups in the folder; nothing else there is touched. */
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
  if (!match || Number(match[1]) === 0)
    throw new EnrollerError('BACKUP_SCHEDULE_INVALID', `"${text}" is not an interval such as 30m, 6h or 1d.`, {
      every: text,
    });
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}
