// WCAG 2.1 AA on every tab, in light and in dark, with axe-core: no serious or critical finding
// (contrast ≥ 4.5:1, every control labelled). Run after a batch, so the tiles show results and
// recoveries, the summary is up, and the audit has rows.
import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { serve, type Served } from '../helpers/cli';
import { tempDir } from '../helpers/station';

let served: Served;
test.beforeAll(async () => {
  const faults = ['--sim-fault', '2:drop-reply:AT+CGSN', '--sim-fault', '3:reset-after:AT%KEYGEN'];
  served = await serve(tempDir(), ['--simulate', '4', '--keygen-delay', '100', ...faults]);
});
test.afterAll(async () => served.stop());

const TABS = ['Bench', 'Queue', 'Fleet', 'Audit', 'CA', 'Device types & profiles', 'Settings'];

async function findings(page: Page, where: string): Promise<string[]> {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${where}: ${v.id} (${v.impact}) — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

for (const scheme of ['light', 'dark'] as const) {
  test(`every tab meets WCAG 2.1 AA in ${scheme}`, async ({ page }) => {
    await page.emulateMedia({ colorScheme: scheme });
    await page.goto(served.url);
    const setup = page.getByRole('form', { name: 'Create the station CA' });
    await expect(setup.or(page.getByRole('tab', { name: 'Bench' }))).toBeVisible();
    const problems: string[] = [];
    if (await setup.isVisible()) {
      problems.push(...(await findings(page, 'CA setup')));
      await setup.getByLabel('Passphrase', { exact: true }).fill('night shift passphrase');
      await setup.getByLabel('Passphrase again').fill('night shift passphrase');
      await setup.getByRole('button', { name: 'Create CA' }).click();
      await page.getByRole('button', { name: 'Start batch' }).click();
    }
    await expect(page.getByTestId('batch-counts')).toHaveAttribute('data-status', 'finished', { timeout: 30_000 });
    for (const name of TABS) {
      await page.getByRole('tab', { name }).click();
      await expect(page.getByRole('tab', { name })).toHaveAttribute('aria-selected', 'true');
      if (name === 'Device types & profiles') {
        // The device-type form and its JSON view are checked too.
        await page.getByRole('combobox', { name: 'Device type' }).click();
        await page.getByRole('option', { name: /nrf91-default/ }).click();
        await expect(page.getByTestId('device-type-form')).toBeVisible();
        problems.push(...(await findings(page, 'Device type form')));
        await page.getByRole('tab', { name: 'JSON (advanced)' }).click();
        await expect(page.getByTestId('json-code')).toBeVisible();
      }
      problems.push(...(await findings(page, name)));
    }
    expect(problems).toEqual([]);
  });
}
