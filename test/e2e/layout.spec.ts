// The station at 1366×768 — the smallest screen on a line PC — in light and in dark: every tab
// fits without sideways scrolling, the colours really switch (and stay switched after a reload),
// and everything is reachable from the keyboard. Screenshots under test-results/layout-*.
import { expect, test } from '@playwright/test';
import { serve, type Served } from '../helpers/cli';
import { tempDir } from '../helpers/station';

let served: Served;
test.beforeAll(async () => {
  served = await serve(tempDir(), ['--simulate', '8', '--keygen-delay', '100']);
});
test.afterAll(async () => served.stop());
test.use({ viewport: { width: 1366, height: 768 } });

const TABS = ['Bench', 'Queue', 'Fleet', 'Audit', 'CA', 'Device types & profiles', 'Settings'];

for (const scheme of ['light', 'dark'] as const) {
  test(`every tab fits 1366×768 in ${scheme}`, async ({ page }) => {
    await page.emulateMedia({ colorScheme: scheme });
    await page.goto(served.url);
    // The first test creates the CA; the station then stays unlocked for the session.
    const setup = page.getByRole('form', { name: 'Create the station CA' });
    await expect(setup.or(page.getByRole('tab', { name: 'Bench' }))).toBeVisible();
    if (await setup.isVisible()) {
      await setup.getByLabel('Passphrase', { exact: true }).fill('night shift passphrase');
      await setup.getByLabel('Passphrase again').fill('night shift passphrase');
      await setup.getByRole('button', { name: 'Create CA' }).click();
    }
    await expect(page.getByTestId('slot')).toHaveCount(8);
    // "auto" follows the OS setting the page was given.
    await expect(page.locator('html')).toHaveAttribute('data-mantine-color-scheme', scheme);
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const [r = 0, g = 0, b = 0] = (background.match(/\d+/g) ?? []).map(Number);
    if (scheme === 'dark') expect(r + g + b).toBeLessThan(200);
    else expect(r + g + b).toBeGreaterThan(600);

    for (const name of TABS) {
      await page.getByRole('tab', { name }).click();
      await expect(page.getByRole('tab', { name })).toHaveAttribute('aria-selected', 'true');
      const overflow = await page.evaluate(
        () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
      );
      expect(overflow, `${name} scrolls sideways by ${overflow}px`).toBeLessThanOrEqual(0);
      await page.screenshot({ path: `test-results/layout-${scheme}-${name.split(' ')[0]!.toLowerCase()}.png` });
    }

    // Keyboard only: arrows move between tabs, and the header toggle flips the colours for good.
    await page.getByRole('tab', { name: 'Settings' }).focus();
    await page.keyboard.press('ArrowLeft');
    await expect(page.getByRole('tab', { name: 'Device types & profiles' })).toBeFocused();
    const other = scheme === 'dark' ? 'light' : 'dark';
    await page.getByRole('button', { name: `Switch to ${other} colours` }).press('Enter');
    await expect(page.locator('html')).toHaveAttribute('data-mantine-color-scheme', other);
    await page.reload();
    await expect(page.locator('html')).toHaveAttribute('data-mantine-color-scheme', other);
    await page.evaluate(() => localStorage.clear());
  });
}
