// The supervisor's screens in the browser UI: the CA (export the chain, sign a cloud's
// verification code — checked with openssl against that chain), device types (a bad field named,
// then saved), profiles (a bad URL named, secrets sealed and never shown, a connection test that
// names the failing layer), settings (keychain honestly unavailable in browser mode, factory mode,
// registering a supervisor turns PINs on).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect, test, type Page } from '@playwright/test';
import { enrollerBin, serve, type Served } from '../helpers/cli';
import { tempDir } from '../helpers/station';

let served: Served;
let dataDir: string;
test.beforeAll(async () => {
  dataDir = tempDir();
  served = await serve(dataDir, ['--simulate', '2', '--keygen-delay', '100']);
});
test.afterAll(async () => served.stop());

async function createCa(page: Page) {
  await page.goto(served.url);
  const setup = page.getByRole('form', { name: 'Create the station CA' });
  await setup.getByLabel('Passphrase', { exact: true }).fill('night shift passphrase');
  await setup.getByLabel('Passphrase again').fill('night shift passphrase');
  await setup.getByRole('button', { name: 'Create CA' }).click();
  await expect(page.getByRole('tab', { name: 'CA' })).toBeVisible();
}

test('CA, device types, profiles and settings from the UI', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await createCa(page);
  const work = tempDir('enroller-e2e-files-');

  // CA: the chain downloads; a verification code becomes a certificate signed by the root.
  await page.getByRole('tab', { name: 'CA' }).click();
  await expect(page.getByTestId('ca-lock')).toContainText('Unlocked');
  const chainDownload = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export chain (PEM)' }).click();
  const chainFile = path.join(work, 'chain.pem');
  await (await chainDownload).saveAs(chainFile);
  const chain = fs.readFileSync(chainFile, 'utf8');
  expect(chain.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
  await page.getByLabel('Verification code').fill('A1B2C3D4E5F6');
  await page.getByRole('button', { name: 'Sign' }).click();
  await expect(page.getByTestId('verification-cert')).toContainText('CN=A1B2C3D4E5F6');
  const popDownload = page.waitForEvent('download');
  await page.getByTestId('verification-cert').getByRole('button', { name: 'Download' }).click();
  const popFile = path.join(work, 'pop.pem');
  await (await popDownload).saveAs(popFile);
  const rootFile = path.join(work, 'root.pem');
  fs.writeFileSync(rootFile, chain.slice(chain.lastIndexOf('-----BEGIN CERTIFICATE-----')));
  expect(execFileSync('openssl', ['verify', '-CAfile', rootFile, popFile], { encoding: 'utf8' })).toContain(': OK');
  expect(execFileSync('openssl', ['x509', '-in', popFile, '-noout', '-subject'], { encoding: 'utf8' })).toContain(
    'CN = A1B2C3D4E5F6',
  );
  await page.screenshot({ path: 'test-results/ca-view.png', fullPage: true });

  // Device types: start from the built-in, break a field, see it named, fix it, save as new.
  await page.getByRole('tab', { name: 'Device types & profiles' }).click();
  await page.getByRole('combobox', { name: 'Device type' }).click();
  await page.getByRole('option', { name: /nrf91-default/ }).click();
  // The form names each bad field at the field, in words.
  const form = page.getByTestId('device-type-form');
  await expect(form.getByLabel('Name', { exact: true })).toHaveValue('nrf91-default');
  await form.getByLabel('Name', { exact: true }).fill('Line B');
  await form.getByLabel('Valid for (days)').fill('0');
  await expect(form.getByText('lower-case letters, digits and dashes')).toBeVisible();
  await expect(form.getByText('must be at least 1')).toBeVisible();
  await expect(page.getByTestId('problem-issues')).toContainText('certificate.validityDays');
  await expect(page.getByRole('button', { name: 'Save device type' })).toBeDisabled();
  // The JSON view: line numbers, and the same problems marked on their lines.
  await page.getByRole('tab', { name: 'JSON (advanced)' }).click();
  const code = page.getByTestId('json-code');
  await expect(code.locator('.cm-lineNumbers')).toBeVisible();
  await expect(code.locator('.cm-lint-marker-error')).toHaveCount(2);
  await expect(code.locator('.cm-content')).toContainText('"validityDays": 0');
  await page.getByRole('tab', { name: 'Form' }).click();
  await form.getByLabel('Name', { exact: true }).fill('line-b');
  await form.getByLabel('Description').fill('Line B trackers');
  await form.getByLabel('Valid for (days)').fill('730');
  await form.getByRole('button', { name: 'Add a subject field' }).click();
  await form.getByLabel('Subject field 2 template').fill('Line B');
  // The cloud it goes to (preflight checks its rules) and the lowest modem firmware it takes.
  await form.getByRole('combobox', { name: 'Cloud the device connects to' }).click();
  await page.getByRole('option', { name: 'Azure IoT Hub DPS' }).click();
  await form.getByLabel('Lowest modem firmware (x.y.z)').fill('2.0');
  await expect(form.getByText('a version x.y.z')).toBeVisible();
  await form.getByLabel('Lowest modem firmware (x.y.z)').fill('2.0.0');
  await page.screenshot({ path: 'test-results/device-type-form.png', fullPage: true });
  await page.getByRole('button', { name: 'Save device type' }).click();
  await expect(page.getByText('Saved line-b.')).toBeVisible();
  const lineB = JSON.parse(
    execFileSync(process.execPath, [enrollerBin, '--data-dir', dataDir, 'device-type', 'export', 'line-b'], {
      encoding: 'utf8',
    }),
  ) as Record<string, unknown>;
  expect(lineB).toMatchObject({ cloud: { target: 'azure-dps' }, modemFirmware: { minimum: '2.0.0' } });

  // Profiles: a bad URL is refused by main with the field named; a good one seals its password.
  await page.getByLabel('Profile name').fill('line-b-est');
  await page.getByLabel('Service URL').fill('not a url');
  await page.getByLabel('User').fill('station-7');
  await page.getByLabel('Password (sealed)').fill('est-secret-7781');
  await page.getByRole('button', { name: 'Save profile' }).click();
  await expect(page.getByRole('alert')).toHaveAttribute('data-code', 'PROFILE_INVALID');
  await expect(page.getByTestId('problem-issues')).toContainText('url');
  await page.getByLabel('Service URL').fill('https://127.0.0.1:9/.well-known/est');
  await page.getByRole('button', { name: 'Save profile' }).click();
  await expect(page.getByText('Saved line-b-est.')).toBeVisible();
  await expect(page.locator('[data-profile="line-b-est"]')).toContainText('password');
  // Test connection: nothing listens on port 9, and the panel says so at the port, not later.
  await page.getByRole('button', { name: 'Test connection of line-b-est' }).click();
  const result = page.getByTestId('connection-test');
  await expect(result).toContainText('line-b-est: the service cannot be used');
  await expect(result.locator('[data-step="dns"]')).toHaveAttribute('data-status', 'ok');
  await expect(result.locator('[data-step="tcp"]')).toHaveAttribute('data-status', 'failed');
  await expect(result.locator('[data-step="tcp"]')).toContainText('Nothing answers at 127.0.0.1:9');
  await expect(result.locator('[data-step="tls"]')).toHaveAttribute('data-status', 'skipped');
  // The station CA needs no network: it passes and shows its chain with fingerprints.
  await page.getByRole('button', { name: 'Test connection of local' }).click();
  await expect(result).toContainText('local: the service answers as it should');
  await expect(result).toContainText('CN=Floor Enroller Root CA');
  // A profile file (as Export JSON writes it) fills the form, including what the form does not show.
  const exported = page.waitForEvent('download');
  await page.locator('[data-profile="line-b-est"]').getByRole('button', { name: 'Export JSON' }).click();
  const profileFile = path.join(work, 'profile.json');
  await (await exported).saveAs(profileFile);
  const document = JSON.parse(fs.readFileSync(profileFile, 'utf8')) as {
    name: string;
    settings: Record<string, unknown>;
  };
  expect(document).toEqual({
    name: 'line-b-est',
    settings: { protocol: 'est', url: 'https://127.0.0.1:9/.well-known/est', user: 'station-7', timeoutMs: 30000 },
  });
  fs.writeFileSync(
    profileFile,
    JSON.stringify({
      name: 'line-c-scep',
      settings: {
        protocol: 'scep',
        url: 'http://127.0.0.1:9/scep',
        caFingerprintSha256: 'ab'.repeat(32),
        trustPem: chain,
      },
    }),
  );
  await page.locator('input[type="file"][accept*="json"]').last().setInputFiles(profileFile);
  await expect(page.getByLabel('Profile name')).toHaveValue('line-c-scep');
  await expect(page.getByLabel('Service URL')).toHaveValue('http://127.0.0.1:9/scep');
  await page.getByRole('button', { name: 'Save profile' }).click();
  await expect(page.getByText('Saved line-c-scep.')).toBeVisible();
  await expect(page.locator('[data-profile="line-c-scep"]')).toContainText('SCEP http://127.0.0.1:9/scep');
  const db = new Database(path.join(dataDir, 'station.sqlite'), { readonly: true });
  const savedSettings = JSON.parse(
    (db.prepare("SELECT settings FROM profiles WHERE name = 'line-c-scep'").get() as { settings: string }).settings,
  ) as Record<string, unknown>;
  db.close();
  expect(savedSettings).toMatchObject({ protocol: 'scep', caFingerprintSha256: 'ab'.repeat(32), trustPem: chain });
  await page.screenshot({ path: 'test-results/setup-view.png', fullPage: true });

  // What was saved is what main holds; the password is sealed, never in the database in clear.
  const stored = fs
    .readdirSync(dataDir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => fs.readFileSync(path.join(entry.parentPath, entry.name)).toString('latin1'))
    .join('\n');
  expect(stored).toContain('line-b-est');
  expect(stored).not.toContain('est-secret-7781');

  // Settings: no keychain in browser mode (said plainly); register a supervisor → PINs required.
  await page.getByRole('tab', { name: 'Settings' }).click();
  await expect(page.getByTestId('keychain-state')).toContainText('Only the desktop app');
  await expect(page.getByTestId('keychain').getByRole('button', { name: 'Remember' })).toBeDisabled();
  await page.getByLabel('Name').fill('sam');
  await page.getByLabel('PIN').fill('4711');
  await page.getByRole('button', { name: 'Register' }).click();
  await expect(page.getByTestId('operators')).toContainText('supervisor');
  await expect(page.getByTestId('who')).toHaveText('sam · supervisor');
  // Factory mode locked by default once roles count: the header says so.
  await expect(page.getByText('Factory mode', { exact: true }).first()).toBeVisible();
  await page.screenshot({ path: 'test-results/settings-view.png', fullPage: true });
  // A new window must sign in; a wrong PIN is refused, the right one lets the supervisor in.
  await page.reload();
  const signIn = page.getByRole('form', { name: 'Sign in' });
  await expect(signIn).toBeVisible();
  await signIn.getByLabel('PIN').fill('0000');
  await signIn.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toContainText('not right');
  await signIn.getByLabel('PIN').fill('4711');
  await signIn.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByTestId('who')).toHaveText('sam · supervisor');
  expect(errors).toEqual([]);
});
