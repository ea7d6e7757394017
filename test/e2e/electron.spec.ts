// The same first path through the real Electron app. It needs the Electron binary, which cannot
// be downloaded on machines without network access; there, and only there, it reports itself
// skipped with that reason. Build first with `npm run build`.
import path from 'node:path';
import { _electron as electron, expect, test } from '@playwright/test';
import { electronBinary } from '../../main/bin/electron-binary';
import { repoRoot } from '../helpers/cli';
import { tempDir } from '../helpers/station';

const exe = electronBinary();

test('the Electron window shows the station info', async () => {
  test.skip(!exe, 'Electron binary absent (it cannot be downloaded here); browser mode covers the UI');
  const app = await electron.launch({
    executablePath: exe!,
    args: [path.join(repoRoot, 'out/main/index.js')],
    env: { ...process.env, ENROLLER_DATA_DIR: tempDir() },
  });
  const window = await app.firstWindow();
  await expect(window.getByTestId('contract-version')).toHaveText('v1');
  // No Node in the page; the bridge exposes named contract functions and nothing else.
  const page = await window.evaluate(() => ({
    require: typeof (globalThis as { require?: unknown }).require,
    process: typeof (globalThis as { process?: unknown }).process,
    bridge: Object.keys((globalThis as unknown as { enroller: { invoke: object } }).enroller.invoke),
  }));
  expect(page).toEqual({ require: 'undefined', process: 'undefined', bridge: ['station:info'] });
  await app.close();
});
