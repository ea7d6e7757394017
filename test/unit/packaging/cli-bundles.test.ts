// The CLI's bundles (main/bin/cli-build.cjs): `enroller info` runs from a bundle of its own, which
// must stay small — one import of the station from a module info uses would pull the CA, the
// enrollers and the device drivers back in, and with them ~35 ms of every `info` (#18).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { COMMAND_BUNDLES, bundleFor, bundleOptions, ensureCliBuilt } from '../../../main/bin/cli-build.cjs';
import { commandNamed } from '../../../main/cli/command-names';

const root = path.resolve(import.meta.dirname, '../../..');
const launcher = path.join(root, 'main/bin/enroller.cjs');

/** One bundle as the build would make it (nothing written): its text and the files it holds. */
async function bundled(entry: string): Promise<{ text: string; inputs: string[] }> {
  const options = bundleOptions(root, entry, path.join(os.tmpdir(), 'unwritten.cjs')) as BuildOptions;
  const { metafile, outputFiles } = await build({ ...options, metafile: true, write: false });
  return { text: outputFiles![0]!.text, inputs: Object.keys((metafile as Metafile).inputs) };
}

async function inputsOf(entry: string): Promise<string[]> {
  return (await bundled(entry)).inputs;
}

describe('the CLI bundles', () => {
  it("info's bundle: info and the database, no station, CA, enrollers, drivers, X.509 code or logger", async () => {
    const [info, whole] = await Promise.all([inputsOf(COMMAND_BUNDLES.info!), inputsOf('main/cli/start.ts')]);
    expect(info).toContain('main/cli/commands/info.ts');
    expect(info).toContain('main/store/database.ts');
    const heavy = (file: string) =>
      /^main\/(pki|enroll|devices|labels|api)\//.test(file) ||
      file === 'main/station/station.ts' ||
      /node_modules\/(@peculiar|pkijs|asn1js|zod|reflect-metadata|pino)\//.test(file);
    expect(info.filter(heavy)).toEqual([]);
    // The same test on the whole CLI's bundle finds them: the pattern is not one that matches nothing.
    expect(whole.filter(heavy).length).toBeGreaterThan(100);
    expect(info.length * 4).toBeLessThan(whole.length);
  });

  it("wraps each of Node's modules once, however many sources import it", async () => {
    const { text } = await bundled('main/cli/start.ts');
    const requires = (name: string) => text.split(`require("${name}")`).length - 1;
    // Imported by dozens of files each (crypto by ~50): one module of the bundle, and a few packages' own require.
    for (const name of ['node:crypto', 'node:fs', 'node:path']) expect(requires(name)).toBeLessThanOrEqual(8);
  });

  it("requires serialport's addon by a path that holds it, found at build time, and loads it", async () => {
    const build = path.dirname(await ensureCliBuilt(root));
    const text = fs.readFileSync(path.join(build, 'enroller.cjs'), 'latin1');
    const [relative, ...others] = [...text.matchAll(/join\(__dirname,"([^"]+\.node)"\)/g)].map((m) => m[1]!);
    expect(others).toEqual([]);
    const addon = path.join(build, relative!);
    expect(addon).toContain(`${path.sep}@serialport${path.sep}bindings-cpp${path.sep}`);
    const binding = createRequire(import.meta.url)(addon) as Record<string, unknown>;
    expect(typeof binding.open).toBe('function');
  });

  it('runs info from its own bundle whatever the global options, and everything else from the whole CLI', () => {
    expect(bundleFor(commandNamed(['--data-dir', 'info', '--json', 'info']))).toBe('info.cjs');
    expect(bundleFor(commandNamed(['--log-level=silent', 'info', '--help']))).toBe('info.cjs');
    expect(bundleFor(commandNamed(['ca', 'info']))).toBe('enroller.cjs');
    expect(bundleFor(commandNamed(['--version']))).toBe('enroller.cjs');
    expect(bundleFor(commandNamed(['infoo']))).toBe('enroller.cjs');
  });

  it('`enroller info` answers from info.cjs: its code cache is written, the whole CLI never loads', async () => {
    const build = path.dirname(await ensureCliBuilt(root));
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'enroller-info-bundle-'));
    try {
      const run = spawnSync(process.execPath, [launcher, '--data-dir', dataDir, '--no-attach', '--json', 'info'], {
        encoding: 'utf8',
      });
      expect(run.stderr).toBe('');
      expect(JSON.parse(run.stdout)).toMatchObject({ dataDir, schemaVersion: expect.any(Number) });
      expect(fs.existsSync(path.join(build, 'info.cjs.info.cache'))).toBe(true);
      expect(fs.existsSync(path.join(build, 'enroller.cjs.info.cache'))).toBe(false);
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("`enroller info` loads none of Node's modules it never calls: sockets, child processes, readline", async () => {
    await ensureCliBuilt(root);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'enroller-info-modules-'));
    try {
      // Node's own list of the modules it loaded, written as the process ends.
      const report = path.join(dir, 'loaded.json');
      const preload = path.join(dir, 'report.cjs');
      fs.writeFileSync(
        preload,
        `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(report)}, ` +
          'JSON.stringify(process.moduleLoadList)));',
      );
      const args = ['--require', preload, launcher, '--data-dir', path.join(dir, 'data'), '--no-attach', 'info'];
      // Output to a file: a stdout that is a pipe is a socket, and loads net for that alone.
      const out = fs.openSync(path.join(dir, 'out.txt'), 'w');
      const run = spawnSync(process.execPath, args, { stdio: ['ignore', out, out] });
      fs.closeSync(out);
      expect(run.status, fs.readFileSync(path.join(dir, 'out.txt'), 'utf8')).toBe(0);
      const loaded = JSON.parse(fs.readFileSync(report, 'utf8')) as string[];
      expect(loaded).toContain('NativeModule fs');
      for (const module of ['net', 'child_process', 'dgram', 'readline'])
        expect(loaded).not.toContain(`NativeModule ${module}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
