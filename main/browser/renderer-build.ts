// The built UI that browser mode serves (out/renderer). A checkout has no install script of its
// own (a strict npm allow-list would refuse it, and `npx enroller` with it), so the UI is built
// here, on first use and whenever its sources are newer than the build (about a second).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { EnrollerError } from '../../shared/errors';

/** What the renderer bundle is made from: a change to any of these makes the build stale. */
const SOURCES = ['renderer', 'shared', 'vite.renderer.config.ts'];

/** Builds the renderer with vite when no build exists or its sources changed since; returns its folder. */
export function ensureRendererBuilt(packageRoot: string): string {
  const dir = path.join(packageRoot, 'out', 'renderer');
  const built = fs.statSync(path.join(dir, 'index.html'), { throwIfNoEntry: false });
  if (built && newestSource(packageRoot) <= built.mtimeMs) return dir;
  const vite = path.join(packageRoot, 'node_modules', 'vite', 'bin', 'vite.js');
  if (!fs.existsSync(vite)) {
    throw new EnrollerError(
      'UI_NOT_BUILT',
      `The station UI is not built (${dir}) and vite is not installed to build it: run \`npm install\` in ` +
        `${packageRoot}.`,
    );
  }
  // stdout stays free: the first line `serve` prints must be its URL.
  const build = spawnSync(
    process.execPath,
    [vite, 'build', '--config', 'vite.renderer.config.ts', '--logLevel', 'warn'],
    { cwd: packageRoot, stdio: ['ignore', process.stderr, process.stderr] },
  );
  if (build.status !== 0)
    throw new EnrollerError(
      'UI_NOT_BUILT',
      `Building the station UI failed (vite exited with ${build.status ?? build.signal}).`,
    );
  return dir;
}

function newestSource(packageRoot: string): number {
  let newest = 0;
  for (const source of SOURCES) {
    const full = path.join(packageRoot, source);
    const stat = fs.statSync(full, { throwIfNoEntry: false });
    if (!stat) continue;
    newest = Math.max(newest, stat.mtimeMs);
    if (!stat.isDirectory()) continue;
    for (const entry of fs.readdirSync(full, { recursive: true, withFileTypes: true }) as fs.Dirent[]) {
      if (entry.isFile()) newest = Math.max(newest, fs.statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
    }
  }
  return newest;
}
