// Backups from the window (#22): a supervisor chooses a folder, how often and how many to keep; the
// station takes them on that schedule and one at once on "Back up now". The schedule is saved in
// the station: a station started again on the same data folder runs it once unlocked.
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import Database from 'better-sqlite3';
import { runEnroller, serve, type Served } from '../helpers/cli';
import { tempDir } from '../helpers/station';

const dataDir = tempDir();
const work = tempDir();
const pass = path.join(work, 'pass');
const folder = path.join(work, 'backups');
const backupsIn = () => (fs.existsSync(folder) ? fs.readdirSync(folder).filter((n) => n.endsWith('.backup')) : []);
let served: Served | undefined;
test.beforeAll(async () => {
  fs.writeFileSync(pass, 'backups in the window');
  expect((await runEnroller(dataDir, 'ca', 'init', '--passphrase-file', pass)).code).toBe(0);
});
test.afterAll(async () => served?.stop());

test('a supervisor sets a schedule and backs up now; a restarted station keeps the schedule', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  served = await serve(dataDir, ['--passphrase-file', pass]);
  await page.goto(served.url);
  await page.getByRole('tab', { name: 'Settings' }).click();
  const card = page.getByTestId('backups');
  await expect(card.getByTestId('backup-schedule')).toHaveText('no schedule');
  await expect(card.getByRole('button', { name: 'Back up now' })).toBeDisabled();

  const form = card.getByRole('form', { name: 'Backup schedule' });
  await form.getByLabel('Folder').fill(folder);
  await form.getByLabel('Every').fill('1x');
  await form.getByRole('button', { name: 'Save schedule' }).click();
  // An interval the station does not read is refused in words, and nothing is scheduled.
  await expect(card.getByRole('alert')).toContainText('30m, 6h or 1d');
  await expect(card.getByTestId('backup-schedule')).toHaveText('no schedule');

  await form.getByLabel('Every').fill('1h');
  await form.getByLabel('Keep').fill('2');
  await form.getByRole('button', { name: 'Save schedule' }).click();
  await expect(card.getByTestId('backup-schedule')).toHaveText('every 1h, keeping 2');
  await card.getByRole('button', { name: 'Back up now' }).click();
  await expect(card.getByTestId('backup-last')).toContainText(`less than an hour ago (${folder}${path.sep}station-`);
  expect(backupsIn()).toHaveLength(1);
  // Twice more: the folder keeps the newest two.
  await card.getByRole('button', { name: 'Back up now' }).click();
  await expect.poll(() => audited('manual')).toBe(2);
  await card.getByRole('button', { name: 'Back up now' }).click();
  await expect.poll(() => audited('manual')).toBe(3);
  expect(backupsIn()).toHaveLength(2);
  // Every 2 s from now on; the station stops before it need have taken one.
  await form.getByLabel('Every').fill('2s');
  await form.getByRole('button', { name: 'Save schedule' }).click();
  await expect(card.getByTestId('backup-schedule')).toHaveText('every 2s, keeping 2');
  await served.stop();
  served = undefined;

  // Started again with no schedule given: once unlocked, the saved one runs by itself.
  served = await serve(dataDir);
  const before = audited('scheduled');
  await page.goto(served.url);
  await page.getByLabel('Passphrase').fill(fs.readFileSync(pass, 'utf8'));
  await page.getByRole('button', { name: 'Unlock' }).click();
  await page.getByRole('tab', { name: 'Settings' }).click();
  await expect(card.getByTestId('backup-schedule')).toHaveText('every 2s, keeping 2');
  await expect.poll(() => audited('scheduled'), { timeout: 30_000 }).toBeGreaterThan(before);
  expect(backupsIn()).toHaveLength(2);
  await card.getByRole('button', { name: 'Stop' }).click();
  await expect(card.getByTestId('backup-schedule')).toHaveText('no schedule');
  await expect(card.getByRole('button', { name: 'Back up now' })).toBeDisabled();
  expect(errors).toEqual([]);
});

/** Backups on the audit record (read from the database file; WAL readers do not block the station). */
function audited(kind: 'manual' | 'scheduled'): number {
  const db = new Database(path.join(dataDir, 'station.sqlite'), { readonly: true });
  try {
    const sql =
      "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'station.backed-up' AND " +
      "json_extract(details, '$.scheduled') = ?";
    return (db.prepare(sql).get(kind === 'scheduled' ? 1 : 0) as { n: number }).n;
  } finally {
    db.close();
  }
}
