// The real Electron app. It needs the Electron binary, which cannot be downloaded on machines
// without network access; there, and only there, each test reports itself skipped with that
// reason. Build first with `npm run build`. Asserts the hardened window (webPreferences, app://,
// CSP), the exposed bridge (exactly the contract's names, no Node), denied navigation, new
// windows and permission requests, and the keychain's honest status.
import path from 'node:path';
import { _electron as electron, expect, test, type ElectronApplication } from '@playwright/test';
import { electronBinary } from '../../main/bin/electron-binary';
import { eventNames, methodNames } from '../../shared/contract';
import { repoRoot } from '../helpers/cli';
import { tempDir } from '../helpers/station';

const exe = electronBinary();
const SKIP = 'Electron binary absent (it cannot be downloaded here); browser mode covers the UI';
let app: ElectronApplication;

test.beforeEach(async () => {
  test.skip(!exe, SKIP);
  app = await electron.launch({
    executablePath: exe!,
    args: [path.join(repoRoot, 'out/main/index.js')],
    env: { ...process.env, ENROLLER_DATA_DIR: tempDir() },
  });
});
test.afterEach(async () => {
  if (exe) await app.close();
});

test('the window is isolated, sandboxed, Node-free and served from app://', async () => {
  const window = await app.firstWindow();
  expect(new URL(window.url()).protocol).toBe('app:');
  const preferences = await app.evaluate(({ BrowserWindow }) => {
    const contents = BrowserWindow.getAllWindows()[0]!.webContents;
    const prefs = (contents as unknown as { getLastWebPreferences(): Record<string, unknown> }).getLastWebPreferences();
    return {
      contextIsolation: prefs.contextIsolation,
      sandbox: prefs.sandbox,
      nodeIntegration: prefs.nodeIntegration,
      webviewTag: prefs.webviewTag,
      webSecurity: prefs.webSecurity,
    };
  });
  expect(preferences).toEqual({
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    webviewTag: false,
    webSecurity: true,
  });
  const page = await window.evaluate(() => ({
    require: typeof (globalThis as { require?: unknown }).require,
    process: typeof (globalThis as { process?: unknown }).process,
    methods: Object.keys((globalThis as unknown as { enroller: { invoke: object } }).enroller.invoke).sort(),
    csp: document.querySelector('meta[http-equiv="Content-Security-Policy"]')?.getAttribute('content') ?? '',
  }));
  expect(page.require).toBe('undefined');
  expect(page.process).toBe('undefined');
  expect(page.methods).toEqual([...methodNames].sort());
  expect(page.csp).toContain("default-src 'self'");
  expect(eventNames.length).toBeGreaterThan(0);
});

test('navigation, new windows and device permissions are denied', async () => {
  const window = await app.firstWindow();
  const before = window.url();
  await window.evaluate(() => {
    globalThis.location.href = 'https://example.com/';
  });
  await window.waitForTimeout(500);
  expect(window.url()).toBe(before);
  await window.evaluate(() => globalThis.open('https://example.com/'));
  await window.waitForTimeout(500);
  expect(app.windows()).toHaveLength(1);
  const serial = await window.evaluate(async () => {
    try {
      await (navigator as unknown as { serial: { requestPort(): Promise<unknown> } }).serial.requestPort();
      return 'granted';
    } catch (error) {
      return (error as Error).name;
    }
  });
  expect(serial).not.toBe('granted');
});

test('the keychain reports its backend and never replaces the passphrase', async () => {
  const window = await app.firstWindow();
  const status = await window.evaluate(() =>
    (
      globalThis as unknown as {
        enroller: {
          invoke: Record<
            string,
            (r: unknown) => Promise<{ ok: boolean; value?: { available: boolean; backend?: string } }>
          >;
        };
      }
    ).enroller.invoke['keychain:status']!({}),
  );
  expect(status.ok).toBe(true);
  if (process.platform === 'linux') expect(status.value?.backend).toBeTruthy();
  if (status.value?.backend === 'basic_text') expect(status.value.available).toBe(false);
});
