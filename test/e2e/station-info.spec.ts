// The first path through every layer: the CLI starts browser mode, Chromium opens the printed
// link, the UI asks main for station:info over the contract and shows it.
import { expect, test } from '@playwright/test';
import { serve, type Served } from '../helpers/cli';
import { tempDir } from '../helpers/station';

let served: Served;
const dataDir = tempDir();
test.beforeAll(async () => {
  served = await serve(dataDir);
});
test.afterAll(async () => served.stop());

test('shows the station version and data folder from the printed link', async ({ page }, testInfo) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(served.url);
  await expect(page.getByTestId('app-version')).toHaveText(/^\d+\.\d+\.\d+/);
  await expect(page.getByTestId('contract-version')).toHaveText('v1');
  await expect(page.getByTestId('data-dir')).toHaveText(dataDir);
  // A fresh station has no backup yet, and says how to take one.
  await expect(page.getByTestId('last-backup')).toHaveText(
    /^none yet — set a schedule in Settings → Backups, or run `enroller backup --out FILE`$/,
  );
  // The token left the address bar once it was read.
  expect(page.url()).not.toContain('token=');
  await page.screenshot({ path: testInfo.outputPath('station-info.png'), fullPage: true });
  await page.screenshot({ path: 'test-results/station-info.png', fullPage: true });
  expect(errors).toEqual([]);
});

test('without the token the page explains what to open instead', async ({ page }) => {
  await page.goto(`${served.origin}/`);
  await expect(page.getByRole('alert')).toContainText('enroller serve');
});
