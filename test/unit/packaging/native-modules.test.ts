// Every native addon the station loads (better-sqlite3, serialport's bindings, pkcs11js for CA keys
// in a token) must survive packaging: its install script allowed, left out of the CLI bundle (or,
// for serialport's and better-sqlite3's, bundled with the addon required by path), rebuilt
// for Electron by electron-builder (npmRebuild) and unpacked from the asar, where a .node file cannot
// be loaded. Found by walking the production dependency tree, so a new addon cannot slip past.
// (The rebuild itself needs Electron's headers, which this machine cannot fetch: TOOLCHAIN.md §2.)
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ADDONS_BY_PATH, EXTERNAL } from '../../../main/bin/cli-build.cjs';

const root = path.resolve(import.meta.dirname, '../../..');
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  allowScripts: Record<string, boolean>;
};
const builder = fs.readFileSync(path.join(root, 'electron-builder.yml'), 'utf8');

interface Installed {
  readonly name: string;
  readonly dir: string;
  readonly manifest: {
    dependencies?: Record<string, string>;
    optionalDependencies?: Record<string, string>;
    scripts?: Record<string, string>;
    gypfile?: boolean;
  };
}

/** Where `name` resolves from `from` (a package folder), as Node's lookup would find it. */
function resolvePackage(name: string, from: string): Installed | undefined {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (fs.existsSync(path.join(candidate, 'package.json')))
      return {
        name,
        dir: candidate,
        manifest: JSON.parse(fs.readFileSync(path.join(candidate, 'package.json'), 'utf8')),
      };
    if (dir === root || dir === path.dirname(dir)) return undefined;
  }
}

function productionTree(): Installed[] {
  const found = new Map<string, Installed>();
  const visit = (name: string, from: string) => {
    const installed = resolvePackage(name, from);
    if (!installed || found.has(installed.dir)) return;
    found.set(installed.dir, installed);
    const { dependencies = {}, optionalDependencies = {} } = installed.manifest;
    for (const next of Object.keys({ ...dependencies, ...optionalDependencies })) visit(next, installed.dir);
  };
  for (const name of Object.keys(manifest.dependencies)) visit(name, root);
  return [...found.values()];
}

function isNative(pkg: Installed): boolean {
  return (
    fs.existsSync(path.join(pkg.dir, 'binding.gyp')) ||
    fs.existsSync(path.join(pkg.dir, 'prebuilds')) ||
    fs.existsSync(path.join(pkg.dir, 'build', 'Release'))
  );
}

function asarUnpack(): string[] {
  const block = /^asarUnpack:\n((?:\s+- .+\n)+)/m.exec(builder)?.[1] ?? '';
  return [...block.matchAll(/-\s+'?([^'\n]+)'?/g)].map((m) => m[1]!);
}

const natives = productionTree().filter(isNative);

describe('native addons in the packaged station', () => {
  it('are found: the three the station is built on, at least', () => {
    expect(natives.map((p) => p.name)).toEqual(
      expect.arrayContaining(['better-sqlite3', '@serialport/bindings-cpp', 'pkcs11js']),
    );
  });

  it('are rebuilt for Electron and unpacked from the asar', () => {
    expect(builder).toMatch(/^npmRebuild: true$/m);
    const patterns = asarUnpack();
    for (const pkg of natives) {
      const inApp = path.relative(root, path.join(pkg.dir, 'package.json')).split(path.sep).join('/');
      expect(
        patterns.some((pattern) => path.matchesGlob(inApp, pattern)),
        `${inApp} is not matched by asarUnpack`,
      ).toBe(true);
    }
  });

  it('may run their install scripts (npm strict allowScripts) and keep their addon out of the CLI bundle', () => {
    const external = (name: string) =>
      EXTERNAL.some((entry) => entry === name || (entry.endsWith('/*') && name.startsWith(entry.slice(0, -1))));
    for (const pkg of natives) {
      const builds = pkg.manifest.scripts?.install ?? (pkg.manifest.gypfile ? 'node-gyp rebuild' : undefined);
      if (builds) expect(manifest.allowScripts[pkg.name], `${pkg.name} runs "${builds}"`).toBe(true);
      // Its JavaScript may be bundled only where the build requires its addon by path (cli-build.cjs).
      const addonByPath = ADDONS_BY_PATH.includes(pkg.name);
      expect(external(pkg.name) || addonByPath, `${pkg.name} is bundled into the CLI`).toBe(true);
    }
  });
});
