// A TPM on the bench in the browser UI: `enroller serve --tpm swtpm:path=…` beside two simulated
// modems. Choosing the TPM device type runs the batch on the TPM slot only; its tile goes green
// with the ID from the EK certificate, and the modems are left alone.
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { runEnroller, serve, type Served } from '../helpers/cli';
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
  for (const modem of await page.locator('[data-testid="slot"][data-port^="sim-"]').all())
    await expect(modem).toHaveAttribute('data-status', 'queued');
  await page.screenshot({ path: 'test-results/tpm-slot-done.png', fullPage: true });
});

test.describe('a scanned serial number', () => {
  let bare: Served;
  let second: Swtpm;
  test.beforeAll(async () => {
    second = await startSwtpm();
    const dir = tempDir();
    const type = path.join(tempDir(), 'tpm-serial.json');
    fs.writeFileSync(
      type,
      JSON.stringify({
        name: 'tpm-serial',
        device: 'tpm',
        idTemplate: 'tpm-{serial}',
        subject: [{ attribute: 'CN', template: '{deviceId}', required: true }],
        keyPolicy: { allowed: ['ec-p256'] },
        certificate: { kind: 'operational', validityDays: 365 },
        tpm: { keyHandle: '0x81000151', certNvIndex: '0x01500151', keyAlgorithm: 'ec-p256' },
      }),
    );
    expect((await runEnroller(dir, 'device-type', 'import', type)).code).toBe(0);
    bare = await serve(dir, ['--tpm', second.tcti]);
  });
  test.afterAll(async () => {
    await bare.stop();
    await second.stop();
  });

  test('names the TPM in the next slot: SN:… from the scanner becomes its device ID', async ({ page }) => {
    await page.goto(bare.url);
    const setup = page.getByRole('form', { name: 'Create the station CA' });
    await setup.getByLabel('Passphrase', { exact: true }).fill('night shift passphrase');
    await setup.getByLabel('Passphrase again').fill('night shift passphrase');
    await setup.getByRole('button', { name: 'Create CA' }).click();
    await page.getByTestId('scan-input').fill('SN:LINE-B-0042');
    await page.getByTestId('scan-input').press('Enter');
    await expect(page.getByTestId('slot-serial')).toHaveText('S/N LINE-B-0042');
    await page.getByRole('combobox', { name: 'Device type' }).click();
    await page.getByRole('option', { name: 'tpm-serial' }).click();
    await page.getByRole('button', { name: 'Start batch' }).click();
    await expect(page.getByTestId('slot')).toHaveAttribute('data-status', 'verified', { timeout: 30_000 });
    await expect(page.getByTestId('slot-device')).toHaveText('tpm-LINE-B-0042');
  });
});
