// The checkout (or installed package) the CLI runs from, found by walking up to its package.json:
// the same answer from the TypeScript sources (main/cli) and from the bundle (out/cli/<stamp>).
import fs from 'node:fs';
import path from 'node:path';

export const PACKAGE_NAME = 'floor-enroller';

/** Its folder and version, from the one read of its package.json. */
export function findPackage(from: string): { root: string; version: string } {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) {
      const { name, version } = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: string; version: string };
      if (name === PACKAGE_NAME) return { root: dir, version };
    }
    if (path.dirname(dir) === dir) throw new Error(`No ${PACKAGE_NAME} package.json above ${from}.`);
  }
}
