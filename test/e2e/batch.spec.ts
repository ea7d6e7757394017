// A newcomer's first batch in the browser UI: `enroller serve --simulate 4` on an empty data dir,
// create the station CA, start a batch, watch every tile turn green — two of them after a link
// hiccup and a modem restart, which their tiles tell — and a rerun recognised.
import { expect, test } from '@playwright/test';
import { serve, type Served } from '../helpers/cli';
import { tempDir } from '../helpers/station';

let served: Served;
test.beforeAll(async () => {
  const faults = ['--sim-fault', '2:drop-reply:AT+CGSN', '--sim-fault', '3:reset-after:AT%KEYGEN'];
  served = await serve(tempDir(), ['--simulate', '4', '--keygen-delay', '200', ...faults]);
});
test.afterAll(async () => served.stop());

test('sets up the CA and runs a batch on four simulated modems to all green', async ({ page }, testInfo) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(served.url);

  const setup = page.getByRole('form', { name: 'Create the station CA' });
  await expect(setup).toBeVisible();
  await setup.getByLabel('Passphrase', { exact: true }).fill('short');
  await setup.getByLabel('Passphrase again').fill('short');
  await setup.getByRole('button', { name: 'Create CA' }).click();
  await expect(page.getByRole('alert')).toContainText('8 characters'); // explained before anything is sent
  await setup.getByLabel('Passphrase', { exact: true }).fill('night shift passphrase');
  await setup.getByLabel('Passphrase again').fill('night shift passphrase');
  await setup.getByRole('button', { name: 'Create CA' }).click();

  const tiles = page.getByTestId('slot');
  await expect(tiles).toHaveCount(4);
  await page.screenshot({ path: 'test-results/bench-ready.png', fullPage: true });
  await page.getByRole('button', { name: 'Start batch' }).click();
  await expect(page.getByTestId('batch-counts')).toHaveAttribute('data-status', 'finished', { timeout: 30_000 });
  for (const tile of await tiles.all()) {
    await expect(tile).toHaveAttribute('data-status', 'verified');
    await expect(tile.getByTestId('slot-result')).toHaveText('✔ Done');
    await expect(tile.getByTestId('slot-device')).toHaveText(/^nrf-\d{15}$/);
  }
  await expect(page.getByTestId('count-done')).toContainText('4');
  // The devices that recovered say how; the others say nothing.
  await expect(tiles.nth(1).getByTestId('slot-recovery')).toHaveText('↻ link hiccup at AT+CGSN=1 — retried');
  await expect(tiles.nth(2).getByTestId('slot-recovery')).toHaveText('↻ modem restarted — resumed');
  await expect(page.getByTestId('slot-recovery')).toHaveCount(2);
  await page.screenshot({ path: 'test-results/bench-done.png', fullPage: true });
  await page.screenshot({ path: testInfo.outputPath('bench-done.png'), fullPage: true });

  // Run again: every device is recognised as already enrolled, nothing is issued twice.
  await page.getByRole('button', { name: 'Start batch' }).click();
  await expect(page.getByTestId('batch-counts')).toHaveAttribute('data-status', 'finished', { timeout: 30_000 });
  await expect(page.getByTestId('count-done')).toContainText('4');
  await expect(page.getByTestId('slot-note')).toHaveCount(4);
  for (const note of await page.getByTestId('slot-note').all())
    await expect(note).toHaveAttribute('data-code', 'DEVICE_ALREADY_ENROLLED');
  // The queue owes nothing; the audit trail verifies and shows each device's provisioning.
  await page.getByRole('tab', { name: 'Queue' }).click();
  await expect(page.getByText('Nothing is queued')).toBeVisible();
  await page.getByRole('tab', { name: 'Audit' }).click();
  await page.getByRole('button', { name: 'Verify the chain' }).click();
  await expect(page.getByTestId('audit-verdict')).toHaveAttribute('data-ok', 'true');
  await page.getByLabel('Search').fill('device.provisioned');
  await expect(page.getByTestId('audit-table').locator('tbody tr')).toHaveCount(4);
  await page.getByLabel('Search').fill('device.link-recovered');
  await expect(page.getByTestId('audit-table').locator('tbody tr')).toHaveCount(2);
  await page.screenshot({ path: 'test-results/audit-verified.png', fullPage: true });
  expect(errors).toEqual([]);
});
