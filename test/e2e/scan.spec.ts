// Scanner-first in the browser UI: a label scanned for a slot carries the IMEI the device must
// report; a wrong one stops that device before anything is written, explained on its tile; the
// right label and Retry finish it. A scanned pet name lands on the next slot.
import { expect, test } from '@playwright/test';
import { serve, type Served } from '../helpers/cli';
import { tempDir } from '../helpers/station';

let served: Served;
test.beforeAll(async () => {
  served = await serve(tempDir(), ['--simulate', '2', '--keygen-delay', '100']);
});
test.afterAll(async () => served.stop());

test('a wrong IMEI label stops its device with a reason; the right one and Retry finish it', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(served.url);
  const setup = page.getByRole('form', { name: 'Create the station CA' });
  await setup.getByLabel('Passphrase', { exact: true }).fill('scanner passphrase');
  await setup.getByLabel('Passphrase again').fill('scanner passphrase');
  await setup.getByRole('button', { name: 'Create CA' }).click();

  const scan = page.getByTestId('scan-input');
  await expect(scan).toBeFocused();
  await scan.fill('123456789012345'); // bad check digit: refused at once
  await scan.press('Enter');
  await expect(page.getByRole('alert')).toContainText('check digit');
  await scan.fill('490154203237518'); // a valid IMEI, but not this device's
  await scan.press('Enter');
  await expect(page.getByTestId('scan-note')).toHaveText('sim-1 ← IMEI 490154203237518');
  await scan.fill('Night-Owl');
  await scan.press('Enter');
  await expect(page.getByTestId('scan-note')).toHaveText('sim-2 ← pet name Night-Owl');

  await page.getByRole('button', { name: 'Start batch' }).click();
  await expect(page.getByTestId('batch-counts')).toHaveAttribute('data-status', 'finished', { timeout: 30_000 });
  const first = page.locator('[data-testid="slot"][data-port="sim-1"]');
  const second = page.locator('[data-testid="slot"][data-port="sim-2"]');
  await expect(second).toHaveAttribute('data-status', 'verified');
  await expect(second.getByTestId('slot-pet-name')).toHaveText('night-owl');
  await expect(first).toHaveAttribute('data-status', 'failed');
  const reason = first.getByTestId('slot-reason');
  await expect(reason).toHaveAttribute('data-code', 'DEVICE_IDENTITY_MISMATCH');
  await expect(reason).toContainText('Nothing was written');
  await page.screenshot({ path: 'test-results/scan-mismatch.png', fullPage: true });

  const reported = /reports (\d{15})/.exec((await reason.textContent()) ?? '')?.[1];
  expect(reported).toMatch(/^\d{15}$/);
  await scan.fill(reported!);
  await scan.press('Enter');
  await expect(page.getByTestId('scan-note')).toHaveText(`sim-1 ← IMEI ${reported}`);
  await first.getByRole('button', { name: 'Retry' }).click();
  await expect(first).toHaveAttribute('data-status', 'verified', { timeout: 30_000 });
  await expect(first.getByTestId('slot-device')).toHaveText(`nrf-${reported}`);
  await page.screenshot({ path: 'test-results/scan-retried.png', fullPage: true });
  expect(errors).toEqual([]);
});
