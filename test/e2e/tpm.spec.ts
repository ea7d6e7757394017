// A TPM on the bench in the browser UI: `enroller serve --tpm swtpm:path=…` beside two simulated
// modems. Choosing the TPM device type runs the batch on the TPM slot only; its tile goes green
// with the ID from the EK certificate, and the modems are left alone.
import { expect, test } from '@playwright/test';
import { serve, type Served } from '../helpers/cli';
import { tempDir } from '../helpers/station';
import { startSwtpm, type Swtpm } from '../support/swtpm';

let served: Served;
let swtpm: Swtpm;
test.beforeAll(async () => {
  swtpm = await startSwtpm({ ekCertificate: true });
  served = await serve(tempDir(), ['--simulate', '2', '--keygen-delay', '100', '--tpm', swtpm.tcti]);
});
test.afterAll(async () => {
  await served.stop();
  await swtpm.stop();
});

test('a TPM slot runs the same pipeline and shows its result like any device', async ({ page }) => {
  await page.goto(served.url);
  const setup = page.getByRole('form', { name: 'Create the station CA' });
  await setup.getByLabel('Passphrase', { exact: true }).fill('night shift passphrase');
  await setup.getByLabel('Passphrase again').fill('night shift passphrase');
  await setup.getByRole('button', { name: 'Create CA' }).click();
  await expect(page.getByTestId('slot')).toHaveCount(3);

  await page.getByRole('combobox', { name: 'Device type' }).click();
  await page.getByRole('option', { name: 'tpm-default' }).click();
  await page.getByRole('button', { name: 'Start batch' }).click();
  await expect(page.getByTestId('batch-counts')).toHaveAttribute('data-status', 'finished', { timeout: 30_000 });
  const tpmTile = page.locator(`[data-testid="slot"][data-port="${swtpm.tcti}"]`);
  await expect(tpmTile).toHaveAttribute('data-status', 'verified');
  await expect(tpmTile.getByTestId('slot-device')).toHaveText(/^tpm-[0-9a-f]{32}$/);
  for (const modem of await page.locator('[data-testid="slot"][data-port^="sim-"]').all()) await expect(modem).toHaveAttribute('data-status', 'queued');
  await page.screenshot({ path: 'test-results/tpm-slot-done.png', fullPage: true });
});
