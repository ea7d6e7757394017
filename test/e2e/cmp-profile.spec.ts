// A CMP profile from the window (#24): a supervisor picks CMP in the profile editor, gives the
// reference, the shared secret (sealed, never shown again), the CA's name and the service's CA
// certificates, saves, and tests the connection against OpenSSL's mock CMP server: the general
// message's answer passes the protection check. A wrong secret fails the credentials step, in words.
import fs from 'node:fs';
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { serve, type Served } from '../helpers/cli';
import { tempDir } from '../helpers/station';
import { CMP_SECRET, cmpTestPki, startCmpServer, type CmpServer } from '../support/cmp-server';

let served: Served;
let mock: CmpServer;
const pki = cmpTestPki();
test.beforeAll(async () => {
  mock = await startCmpServer(pki, { rspCert: pki.clientCert, protection: 'secret' });
  served = await serve(tempDir());
});
test.afterAll(async () => {
  await served.stop();
  await mock.close();
});

async function saveCmpProfile(page: Page, name: string, secret: string): Promise<void> {
  await page.getByLabel('Profile name').fill(name);
  await page.locator('label').filter({ hasText: /^CMP$/ }).click();
  await page.getByLabel('Service URL').fill(mock.url);
  await page.getByLabel('Reference (senderKID)').fill('line-7');
  await page.getByLabel('Shared secret (sealed)').fill(secret);
  await page.getByLabel("Recipient (the CA's name)").fill('CN=CMP Test CA');
  await page.getByLabel('Service CA certificates (PEM)').fill(fs.readFileSync(pki.caFile, 'utf8'));
  await page.getByRole('button', { name: 'Save profile' }).click();
  await expect(page.getByRole('status').filter({ hasText: `Saved ${name}.` })).toBeVisible();
}

test('a CMP profile saved from the editor, its connection tested against the openssl mock', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(served.url);
  const setup = page.getByRole('form', { name: 'Create the station CA' });
  await setup.getByLabel('Passphrase', { exact: true }).fill('cmp window passphrase');
  await setup.getByLabel('Passphrase again').fill('cmp window passphrase');
  await setup.getByRole('button', { name: 'Create CA' }).click();
  await page.getByRole('tab', { name: 'Device types & profiles' }).click();

  await saveCmpProfile(page, 'factory-cmp', CMP_SECRET);
  const row = page.locator('[data-profile="factory-cmp"]');
  await expect(row).toContainText(`CMP ${mock.url}`);
  await expect(row).toContainText('secret');
  await expect(page.getByLabel('Shared secret (sealed)')).toHaveValue('');
  await page.getByRole('button', { name: 'Test connection of factory-cmp' }).click();
  const report = page.getByTestId('connection-test');
  await expect(report).toContainText('passed');
  await expect(report.locator('[data-step="authentication"]')).toContainText('general message');

  // The CMP fields meet WCAG 2.1 AA in light and dark.
  await page.locator('label').filter({ hasText: /^CMP$/ }).click();
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    const axe = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    const serious = axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(serious.map((v) => `${scheme}: ${v.id}`)).toEqual([]);
  }

  await saveCmpProfile(page, 'wrong-cmp', 'not the shared secret');
  await page.getByRole('button', { name: 'Test connection of wrong-cmp' }).click();
  const credentials = report.locator('[data-step="authentication"]');
  await expect(credentials).toHaveAttribute('data-status', 'failed');
  await expect(credentials).toContainText('protection check');
  expect(errors).toEqual([]);
});
