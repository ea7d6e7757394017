// Scheduled backups on a real station (#22): a folder that cannot be used is refused in words when a
// supervisor chooses it, and never stops a station that starts while its backup disk is missing; a
// locked station takes none; the schedule runs and keeps the newest.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BackupSchedule } from '../../../main/station/backup-schedule';
import type { Station } from '../../../main/station/station';
import { openBackup } from '../../../main/store/backup';
import { fileLogger, openTestStation, tempDir } from '../../helpers/station';

const PASS = 'backup schedule passphrase';
const opened: Array<{ station: Station; backups: BackupSchedule }> = [];
afterEach(async () => {
  for (const { station, backups } of opened.splice(0)) {
    await backups.stop();
    station.close();
  }
});

/** `passphrase` null: a locked station. */
function scheduleOn(dataDir = tempDir(), passphrase: string | null = PASS) {
  const station = openTestStation(dataDir);
  const backups = new BackupSchedule(station, {
    passphrase: () => passphrase ?? undefined,
    log: fileLogger(dataDir).log,
  });
  opened.push({ station, backups });
  return { station, backups, dataDir };
}

const backedUp = (station: Station) =>
  station.db.prepare("SELECT details FROM audit_log WHERE action = 'station.backed-up'").all() as Array<{
    details: string;
  }>;

describe('backup schedule', () => {
  it('refuses a folder it cannot write, and a station whose backup disk is missing still starts', async () => {
    const work = tempDir();
    const blocker = path.join(work, 'usb');
    fs.writeFileSync(blocker, 'a file where the mount point should be');
    const folder = path.join(blocker, 'backups');
    const { backups, dataDir } = scheduleOn();
    expect(() => backups.save({ dir: folder, every: '1d', keep: 3 }, 'sam')).toThrowError(
      expect.objectContaining({ code: 'BACKUP_NO_FOLDER', details: { dir: folder, cause: 'ENOTDIR' } }),
    );
    expect(backups.status().plan).toBeNull();
    expect(() => backups.save({ dir: work, every: '0s', keep: 3 }, 'sam')).toThrowError(
      expect.objectContaining({ code: 'BACKUP_SCHEDULE_INVALID' }),
    );

    // Saved while the disk was there; the station starts again without it: it starts, and says why at backup time.
    backups.save({ dir: path.join(work, 'later'), every: '1d', keep: 3 }, 'sam');
    await backups.stop();
    fs.rmSync(path.join(work, 'later'), { recursive: true });
    fs.writeFileSync(path.join(work, 'later'), 'not a folder now');
    const again = scheduleOn(dataDir);
    expect(() => again.backups.startSaved()).not.toThrow();
    expect(again.backups.status()).toMatchObject({ plan: { every: '1d', keep: 3 }, source: 'settings' });
    await expect(again.backups.takeNow('sam')).rejects.toMatchObject({ code: 'BACKUP_NO_FOLDER' });
    fs.rmSync(path.join(work, 'later'));
    const status = await again.backups.takeNow('sam');
    expect(status.lastBackup?.file).toMatch(/later\/station-\d{8}T\d{9}Z\.backup$/);
    expect(openBackup(status.lastBackup!.file, PASS, path.join(tempDir(), 'restored.sqlite')).counts).toBeDefined();
  });

  it('takes nothing while the station is locked, and nothing without a folder', async () => {
    const locked = scheduleOn(tempDir(), null);
    await expect(locked.backups.takeNow('sam')).rejects.toMatchObject({ code: 'BACKUP_NO_FOLDER' });
    locked.backups.save({ dir: tempDir(), every: '1d', keep: 1 }, 'sam');
    expect(locked.backups.status().locked).toBe(true);
    await expect(locked.backups.takeNow('sam')).rejects.toMatchObject({ code: 'CA_PASSPHRASE_REQUIRED' });
    expect(backedUp(locked.station)).toEqual([]);
  });

  it('runs on its interval and keeps the newest', async () => {
    const folder = tempDir();
    const { station, backups } = scheduleOn();
    backups.save({ dir: folder, every: '1s', keep: 1 }, 'sam');
    await expect.poll(() => backedUp(station).length, { timeout: 20_000, interval: 100 }).toBeGreaterThanOrEqual(2);
    await backups.stop();
    expect(backedUp(station).every((row) => JSON.parse(row.details).scheduled === true)).toBe(true);
    expect(fs.readdirSync(folder).filter((n) => n.endsWith('.backup'))).toHaveLength(1);
  });
});
