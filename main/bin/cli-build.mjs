// The CLI as plain JavaScript: bundled by esbuild the first time `enroller` runs from a checkout,
// and again whenever a source changed, so no TypeScript is compiled at each start (#18). Two
// CommonJS files: attach.cjs (is a station running? Node's own modules only) and enroller.cjs (the
// CLI). Each command's modules run only when that command runs (esbuild wraps what is imported
// dynamically), and cached-script.mjs compiles the file with V8's code cache of that command.
// Each build lives in a folder named after a stamp of its sources and appears by one rename, so
// two commands started at once never run a half-written bundle.
import fs from 'node:fs';
import path from 'node:path';

/** What the CLI bundle is made from: a change to any of these makes a new stamp. */
const SOURCES = ['main', 'shared', 'package.json'];
const SOURCE_FILE = /\.(ts|tsx|mts|mjs|js|json)$/;
/** Native or build-time packages stay in node_modules; everything else is inlined. */
export const EXTERNAL = [
  'better-sqlite3',
  // PKCS#11 (#20): a native addon and the libraries that load it, required where they are installed.
  'node-webcrypto-p11',
  'graphene-pk11',
  'pkcs11js',
  'serialport',
  '@serialport/*',
  'electron',
  'bufferutil',
  'utf-8-validate',
  'esbuild',
  // Large packages only a few commands use stay out of the bundle every command loads: labels
  // (bwip-js), the fleet database (pg) and the browser station's socket (ws).
  'bwip-js',
  'bwip-js/*',
  'pg',
  'ws',
];
/** Older builds are removed only when surely unused: a running command may still load their chunks. */
const KEEP_OLD_BUILDS_MS = 60 * 60 * 1000;

/**
 * Two 32-bit FNV-1a lanes over the stamp's text: it only tells one set of sources from another
 * (no adversary), and unlike node:crypto it costs nothing to load — every command computes it
 * before it runs (#18).
 */
class StampHash {
  #a = 0x811c9dc5;
  #b = 0x9747b28c;
  update(text) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      this.#a = Math.imul(this.#a ^ c, 0x01000193);
      this.#b = Math.imul(this.#b ^ c, 0x5bd1e995);
    }
    return this;
  }
  digest() {
    const hex = (n) => (n >>> 0).toString(16).padStart(8, '0');
    return hex(this.#a) + hex(this.#b);
  }
}

/** The stamp of the sources as they are now: paths, sizes and modification times. */
export function sourceStamp(root) {
  const hash = new StampHash();
  for (const source of SOURCES) {
    const full = path.join(root, source);
    const stat = fs.statSync(full, { throwIfNoEntry: false });
    if (!stat) continue;
    if (!stat.isDirectory()) {
      hash.update(`${source}\0${stat.size}\0${stat.mtimeMs}\n`);
      continue;
    }
    const entries = fs.readdirSync(full, { recursive: true, withFileTypes: true });
    const files = entries
      .filter((e) => e.isFile() && SOURCE_FILE.test(e.name))
      .map((e) => path.join(e.parentPath, e.name));
    for (const file of files.sort()) {
      const s = fs.statSync(file);
      hash.update(`${path.relative(root, file)}\0${s.size}\0${s.mtimeMs}\n`);
    }
  }
  return hash.digest();
}

/** The entry file of an up-to-date bundle, built first when there is none for these sources. */
export async function ensureCliBuilt(root) {
  const builds = path.join(root, 'out', 'cli');
  const stamp = sourceStamp(root);
  const entry = path.join(builds, stamp, 'enroller.cjs');
  if (fs.existsSync(entry)) return entry;
  // Throws EACCES/EROFS where the checkout cannot be written: the launcher then runs the sources.
  fs.mkdirSync(builds, { recursive: true });
  fs.accessSync(builds, fs.constants.W_OK);
  const staging = path.join(builds, `.${stamp}.${process.pid}`);
  await bundle(root, staging);
  try {
    fs.renameSync(staging, path.join(builds, stamp));
  } catch (error) {
    // Another command built the same sources at the same moment: its build is as good as ours.
    if (!['EEXIST', 'ENOTEMPTY', 'EPERM'].includes(error.code)) throw error;
    fs.rmSync(staging, { recursive: true, force: true });
  }
  removeOldBuilds(builds, stamp);
  return entry;
}

async function bundle(root, outdir) {
  const esbuild = await import('esbuild');
  const entries = { enroller: 'main/cli/start.ts', attach: 'main/cli/attach/attach-client.ts' };
  await Promise.all(
    Object.entries(entries).map(([name, entry]) =>
      esbuild.build({
        absWorkingDir: root,
        entryPoints: [entry],
        outfile: path.join(outdir, `${name}.cjs`),
        bundle: true,
        format: 'cjs',
        platform: 'node',
        target: 'node20',
        external: EXTERNAL,
        // Packages loaded on demand (pg, the PKCS#11 libraries) become require() calls: one loader.
        supported: { 'dynamic-import': false },
        // The sources are ES modules; in the bundle their folder is the bundle's.
        define: { 'import.meta.dirname': '__dirname' },
        mainFields: ['module', 'main'],
        // Comments out and ASCII only: less to read at every start, and one byte per character.
        minifyWhitespace: true,
        charset: 'ascii',
        logLevel: 'warning',
      }),
    ),
  );
}

function removeOldBuilds(builds, current) {
  const now = Date.now();
  for (const name of fs.readdirSync(builds)) {
    if (name === current) continue;
    const full = path.join(builds, name);
    const stat = fs.statSync(full, { throwIfNoEntry: false });
    if (stat && now - stat.mtimeMs > KEEP_OLD_BUILDS_MS) fs.rmSync(full, { recursive: true, force: true });
  }
}

// `npm run build:cli` (and `npm test`'s build stage): the bundle, built now rather than by the
// first command, so commands started together after a change do not each build it.
if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  const entry = await ensureCliBuilt(path.resolve(import.meta.dirname, '../..'));
  console.log(`CLI bundle: ${path.relative(process.cwd(), path.dirname(entry))}`);
}
