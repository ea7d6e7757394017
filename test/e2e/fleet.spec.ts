// The Fleet tab (#23), in Chromium on `enroller serve`, with Debian's PostgreSQL behind it: the
// background sync brings the station in sync by itself; the yield view shows both stations; a
// conflict found at sync is shown for a PKI engineer; with the server stopped, "Sync now" says the
// fleet is out of reach and the station works on; WCAG 2.1 AA holds in light and dark.
import fs from 'node:fs';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { expect, test } from '@playwright/test';
import { runEnroller, serve, type Served } from '../helpers/cli';
import { makeCsr } from '../helpers/csr';
import { tempDir } from '../helpers/station';
import { prepareFleet, startFleetServer, type FleetServer, type PreparedFleet } from '../support/fleet-postgres';

let server: FleetServer;
let fleet: PreparedFleet;
let served: Served | undefined;
const work = tempDir();
const pass = path.join(work, 'pass');
const a = tempDir();
const b = tempDir();

async function join(dir: string, name: string): Promise<void> {
  expect((await runEnroller(dir, 'ca', 'init', '--passphrase-file', pass)).code).toBe(0);
  const joined = await runEnroller(
    dir,
    ...['fleet', 'join', server.url(fleet.role(name)), '--password-file', fleet.passwordFile(name)],
  );
  expect(joined.lines.at(-1)).toMatchObject({ status: 'joined' });
}

async function enroll(dir: string, ids: string[]): Promise<void> {
  const csrs = tempDir();
  for (const id of ids) fs.writeFileSync(path.join(csrs, `${id}.der`), await makeCsr({ name: `CN=${id}` }));
  const out = path.join(dir, 'out');
  await runEnroller(dir, 'enroll', '--csr', csrs, '--profile', 'local', '--out-dir', out, '--passphrase-file', pass);
}

test.beforeAll(async () => {
  test.setTimeout(120_000);
  fs.writeFileSync(pass, 'fleet in the window');
  server = await startFleetServer();
  fleet = await prepareFleet(server, ['ui-a', 'ui-b']);
  // Both stations issue ui-3 while the fleet is away: the second to sync finds the conflict.
  await join(a, 'ui-a');
  await join(b, 'ui-b');
  server.stop();
  await enroll(a, ['ui-1', 'ui-2', 'ui-3']);
  await enroll(b, ['ui-3', 'ui-4']);
  server.start();
  expect((await runEnroller(b, 'fleet', 'sync')).lines.at(-1)).toMatchObject({ status: 'synced' });
});
test.afterAll(async () => {
  await served?.stop();
  server?.close();
});

test('the background sync, the yield per station, a conflict, and a fleet out of reach', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  served = await serve(a, ['--passphrase-file', pass]);
  await page.goto(served.url);
  await page.getByRole('tab', { name: 'Fleet' }).click();
  const view = page.getByTestId('fleet');
  // Nobody pressed anything: the station's own first round brings it in sync.
  await expect(view.getByTestId('fleet-badge')).toHaveText('synced', { timeout: 20_000 });
  await expect(view.getByTestId('fleet-state')).toContainText('in sync');
  await expect(view.getByTestId('fleet-pending')).toHaveText('0 changes waiting to be sent');
  const yieldTable = view.getByRole('table', { name: 'Yield per station' });
  await expect(yieldTable.locator('[data-station="ui-a"] td').nth(1)).toHaveText('3');
  await expect(yieldTable.locator('[data-station="ui-b"] td').nth(1)).toHaveText('2');
  await expect(yieldTable.locator('[data-station="ui-a"] td').nth(4)).toHaveText('100 %');
  const conflicts = view.getByTestId('fleet-conflicts');
  await expect(conflicts).toContainText('ui-3');
  await expect(conflicts).toContainText('held first by ui-b');

  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    const axe = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    const serious = axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(serious.map((v) => `${scheme}: ${v.id}`)).toEqual([]);
  }

  server.stop();
  await view.getByRole('button', { name: 'Sync now' }).click();
  await expect(view.getByTestId('fleet-badge')).toHaveText('away', { timeout: 20_000 });
  await expect(view.getByTestId('fleet-state')).toContainText('fleet out of reach');
  server.start();
  await view.getByRole('button', { name: 'Sync now' }).click();
  await expect(view.getByTestId('fleet-badge')).toHaveText('synced', { timeout: 20_000 });
  expect(errors).toEqual([]);
});
