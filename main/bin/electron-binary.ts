// Finds the Electron binary without triggering a download: on machines that cannot fetch it,
// `require('electron')` throws or tries the network, so look at what the package installed.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

export function electronBinary(): string | undefined {
  let packageJson: string;
  try {
    packageJson = createRequire(import.meta.url).resolve('electron/package.json');
  } catch {
    return undefined;
  }
  const pathTxt = path.join(path.dirname(packageJson), 'path.txt');
  if (!fs.existsSync(pathTxt)) return undefined;
  const dist = process.env.ELECTRON_OVERRIDE_DIST_PATH ?? path.join(path.dirname(packageJson), 'dist');
  const exe = path.join(dist, fs.readFileSync(pathTxt, 'utf8').trim());
  return fs.existsSync(exe) ? exe : undefined;
}
