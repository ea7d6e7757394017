// The Devices tab (#19) on a headless station with two simulated modems: after a batch, a
// supervisor finds one device, disables it (its certificate is revoked, the next batch refuses it
// with a sentence), enables it again, and sets the other back to factory mode.
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { runEnroller, serve, type Served } from '../helpers/cli';
import { tempDir } from '../helpers/station';

let served: Served;
const dataDir = tempDir();
test.beforeAll(async () => {
  const pass = path.join(tempDir(), 'pass');
  fs.writeFileSync(pass, 'devices tab passphrase');
  expect((await runEnroller(dataDir, 'ca', 'init', '--passphrase-file', pass)).code).toBe(0);
  served = await serve(dataDir, ['--simulate', '2', '--keygen-delay', '100', '--passphrase-file', pass]);
});
test.afterAll(async () => served.stop());

test('finds a device, disables and enables it, and sets another to factory mode', async ({ page }, testInfo) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(served.url);
  const batchDone = async () => {
    await page.getByRole('tab', { name: 'Bench' }).click();
    await page.getByRole('button', { name: 'Start batch' }).click();
    await expect(page.getByTestId('batch-counts')).toHaveAttribute('data-status', 'finished', { timeout: 30_000 });
  };
  await batchDone();
  const ids = await page.getByTestId('slot-device').allTextContents();
  expect(ids).toHaveLength(2);

  await page.getByRole('tab', { name: 'Devices' }).click();
  const rows = page.getByTestId('devices-table').locator('tbody tr');
  await expect(rows).toHaveCount(2);
  await page.getByLabel('Find a device').fill(ids[0]!);
  await expect(rows).toHaveCount(1);
  await page.getByRole('button', { name: ids[0]! }).click();
  const detail = page.getByTestId('device-detail');
  await expect(detail.getByTestId('device-mode')).toHaveText('OPERATIONAL');
  // What the modem said it is (the simulator's default: an nRF9151 on mfw 2.0.2).
  await expect(detail.getByTestId('device-modem')).toHaveText('nRF9151-LACA · modem firmware mfw_nrf91x1_2.0.2');
  await expect(detail.getByTestId('device-certificates').locator('tbody tr')).toHaveAttribute('data-status', 'issued');

  await detail.getByLabel('Why disable it').fill('returned: cracked housing');
  await detail.getByRole('button', { name: 'Disable' }).click();
  await expect(detail.getByTestId('device-mode')).toHaveText('DISABLED');
  await expect(detail.getByTestId('device-certificates').locator('tbody tr')).toHaveAttribute('data-status', 'revoked');
  await expect(detail.getByTestId('device-history')).toContainText('device.disabled');
  await page.screenshot({ path: testInfo.outputPath('device-disabled.png'), fullPage: true });
  await page.screenshot({ path: 'test-results/device-disabled.png', fullPage: true });

  // The next batch refuses the disabled device, in words, and enrolls nothing for it.
  await batchDone();
  const refused = page.getByTestId('slot').filter({ hasText: ids[0]! });
  await expect(refused).toHaveAttribute('data-status', 'failed');
  await expect(refused.getByTestId('slot-reason')).toHaveAttribute('data-code', 'DEVICE_DISABLED');

  await page.getByRole('tab', { name: 'Devices' }).click();
  await page.getByLabel('Find a device').fill('');
  await page.getByRole('button', { name: ids[0]! }).click();
  await detail.getByRole('button', { name: 'Enable' }).click();
  await expect(detail.getByTestId('device-mode')).toHaveText('NEW');

  await page.getByRole('button', { name: ids[1]! }).click();
  await detail.getByRole('button', { name: 'Set as factory mode' }).click();
  await expect(detail.getByTestId('device-mode')).toHaveText('FACTORY');
  await expect(detail).toContainText('next provision issues a birth certificate');
  expect(errors).toEqual([]);
});
