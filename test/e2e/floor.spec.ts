// The technician's floor, second pass: a batch started from the keyboard, clocks that never run
// backwards, a cancel that asks first, the end-of-batch summary, "New batch" freeing the slots for
// the next labels (and a scan with nowhere to go refused out loud), the audit in words and
// searchable by pet name, and sign-in held after wrong PINs, then sign-out.
import fs from 'node:fs';
import { expect, test } from '@playwright/test';
import { PDFDocument } from 'pdf-lib';
import { serve, type Served } from '../helpers/cli';
import { tempDir } from '../helpers/station';

let served: Served;
test.beforeAll(async () => {
  // Garbled on every try: the third device fails (once would be a hiccup, asked again).
  const garbled = Array.from({ length: 3 }, () => ['--sim-fault', '3:garbage:AT+CGMR']).flat();
  served = await serve(tempDir(), ['--simulate', '3', '--keygen-delay', '4000', ...garbled]);
});
test.afterAll(async () => served.stop());

test('a shift on the bench: keyboard, clocks, cancel, summary, new batch, audit, PINs', async ({ page }) => {
  await page.goto(served.url);
  const setup = page.getByRole('form', { name: 'Create the station CA' });
  await setup.getByLabel('Passphrase', { exact: true }).fill('night shift passphrase');
  await setup.getByLabel('Passphrase again').fill('night shift passphrase');
  await setup.getByRole('button', { name: 'Create CA' }).click();
  const scan = page.getByTestId('scan-input');
  await expect(scan).toBeFocused();

  // Alt+S from the scan field starts the batch; Cancel asks before it stops anything.
  await scan.press('Alt+s');
  await expect(page.getByTestId('batch-counts')).toHaveAttribute('data-status', 'running');
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByRole('group', { name: 'Cancel the batch?' })).toBeVisible();
  await page.getByRole('button', { name: 'Keep going' }).click();
  await expect(scan).toBeFocused(); // every action hands the focus back to the scanner
  // While it runs, no tile's clock is ever negative.
  for (let i = 0; i < 5; i++) {
    for (const text of await page.locator('[data-testid="slot"] >> text=/ s$/').allTextContents())
      expect(text, 'a tile clock').not.toMatch(/^-/);
    await page.waitForTimeout(100);
  }
  await expect(page.getByTestId('batch-counts')).toHaveAttribute('data-status', 'finished', { timeout: 30_000 });

  // The summary: passed, the failure with its reason and port, yield.
  const summary = page.getByTestId('batch-summary');
  await expect(summary).toContainText('2 passed');
  await expect(summary).toContainText('1 failed');
  await expect(summary).toContainText('yield 66.7 %');
  await expect(summary.locator('[data-code="DEVICE_GARBAGE"]')).toContainText('sim-3');
  await expect(page.getByTestId('batch-yield')).toHaveText('66.7 % yield');
  // The files a shift lead hands on: the batch report (every slot) and a cloud export.
  const fileOf = async (button: string) => {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      summary.getByRole('button', { name: button }).click(),
    ]);
    return fs.readFileSync((await download.path())!, 'utf8');
  };
  const report = (await fileOf('Batch report (CSV)')).trim().split('\r\n');
  expect(report[0]).toBe('batch,port,status,device_id,pet_name,cert_serial,code,message,seconds,recoveries,label');
  expect(report.slice(1).map((line) => line.split(',')[2])).toEqual(['"verified"', '"verified"', '"failed"']);
  const [pdfDownload] = await Promise.all([
    page.waitForEvent('download'),
    summary.getByRole('button', { name: 'Batch report (PDF)' }).click(),
  ]);
  const pdf = await PDFDocument.load(fs.readFileSync((await pdfDownload.path())!));
  expect(pdf.getTitle()).toBe(`Batch report ${report[1]!.split(',')[0]!.replace(/"/g, '')}`);
  expect(pdf.getPageCount()).toBe(1);
  const nrfCloud = (await fileOf('nRF Cloud CSV')).trim().split('\r\n');
  expect(nrfCloud.map((line) => line.split(',')[0]).sort()).toEqual(
    report
      .slice(1, 3)
      .map((line) => line.split(',')[3]!.replace(/"/g, ''))
      .sort(),
  );
  await expect(page.locator('body')).toHaveAttribute('data-last-cue', /pass|fail/);

  const first = page.getByTestId('slot').first();
  const petName = (await first.getByTestId('slot-pet-name').textContent())!;
  const deviceId = (await first.getByTestId('slot-device').textContent())!;

  // After the batch a scan goes to the failed device (to retry it labelled); one more has nowhere
  // to go and is refused out loud, until New batch frees the slots.
  await scan.fill('amber-falcon');
  await scan.press('Enter');
  await expect(page.getByTestId('scan-note')).toHaveText('sim-3 ← pet name amber-falcon');
  await scan.fill('bold-otter');
  await scan.press('Enter');
  await expect(page.getByTestId('scan-note')).toContainText('New batch');
  await expect(page.locator('body')).toHaveAttribute('data-last-cue', 'refused');
  await page.getByRole('button', { name: 'New batch' }).click();
  await expect(page.getByTestId('batch-summary')).toHaveCount(0);
  await expect(page.locator('[data-testid="slot"][data-status="queued"]')).toHaveCount(3);
  await scan.fill('amber-falcon');
  await scan.press('Enter');
  await expect(page.getByTestId('scan-note')).toHaveText('sim-1 ← pet name amber-falcon');

  // The audit: in words, searchable by a device's pet name, and a row opens to all of it.
  await page.getByRole('tab', { name: 'Audit' }).click();
  const table = page.getByTestId('audit-table');
  await expect(table).toContainText('Device enrolled and verified');
  await expect(table).not.toContainText('websocket:');
  await page.getByLabel('Search').fill(petName);
  const rows = table.locator('tbody tr[data-action]');
  const subjects = async () => [...new Set(await rows.locator('td:nth-child(5)').allTextContents())];
  await expect.poll(subjects).toEqual([deviceId]); // the pet name finds that device's rows, and only them
  await rows.first().getByRole('button').click();
  await expect(page.getByTestId('audit-details')).toContainText(`"petName": "${petName}"`);

  // Labels: the preview shows the barcode and the words; a test print with no printer says why.
  await page.getByRole('tab', { name: 'Settings' }).click();
  const labels = page.getByTestId('label-settings');
  await expect(labels.getByTestId('label-preview')).toContainText('amber-falcon');
  await expect(labels.getByRole('img', { name: 'Barcode: nrf-352656100123458' })).toBeVisible();
  await labels.getByRole('button', { name: 'Print a test label' }).click();
  await expect(labels.getByRole('alert')).toContainText('No label printer is set');

  // PINs: a supervisor, then three wrong PINs hold sign-in; sign out goes back to the gate.
  await page.getByLabel('Name').fill('sam');
  await page.getByLabel('PIN').fill('2468');
  await page.getByRole('button', { name: 'Register' }).click();
  await expect(page.getByTestId('who')).toHaveText('sam · supervisor');
  await page.getByRole('button', { name: 'Sign out' }).click();
  const gate = page.getByRole('form', { name: 'Sign in' });
  for (let i = 0; i < 3; i++) {
    await gate.getByLabel('PIN').fill('1111');
    await gate.getByRole('button', { name: 'Sign in' }).click();
    await expect(gate.getByRole('alert')).toContainText('PIN');
  }
  await gate.getByLabel('PIN').fill('2468');
  await gate.getByRole('button', { name: 'Sign in' }).click();
  await expect(gate.getByRole('alert')).toContainText('held');
});
