// The checkout (or installed package) the CLI runs from, found by walking up to its package.json:
// the same answer from the TypeScript sources (main/cli) and from the bundle (out/cli/<stamp>).
import fs from 'node:fs';
import path from 'node:path';

export const PACKAGE_NAME = 'floor-enroller';

export function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (
      fs.existsSync(manifest) &&
      (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: string }).name === PACKAGE_NAME
    )
      return dir;
    if (path.dirname(dir) === dir) throw new Error(`No ${PACKAGE_NAME} package.json above ${from}.`);
  }
}
