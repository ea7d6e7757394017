// The CLI as plain JavaScript: bundled by esbuild the first time `enroller` runs from a checkout,
// and again whenever a source changed, so no TypeScript is compiled at each start (#18). Three
// CommonJS files: attach.cjs (is a station running? Node's own modules only), enroller.cjs (the
// CLI) and info.cjs (`info` alone, a twentieth of the size: it reads, compiles and sets up in a
// fraction of the time). Each command's modules run only when that command runs (esbuild wraps what is
// imported dynamically), and cached-script.cjs compiles the file with V8's code cache of that command.
// Each build lives in a folder named after a stamp of its sources and appears by one rename, so
// two commands started at once never run a half-written bundle.
// CommonJS, as the launcher is: Node starts a CommonJS entry ~10 ms sooner than an ES module one.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

/** What the CLI bundle is made from: a change to any of these makes a new stamp. */
const SOURCES = ['main', 'shared', 'package.json'];
const SOURCE_FILE = /\.(ts|tsx|mts|cts|mjs|cjs|js|json)$/;
/**
 * Native packages whose JavaScript is bundled all the same, their addon required by its path:
 * serialport's by the path found at build time (serialAddonByPath), better-sqlite3's by the path
 * store/database.ts gives it (the library's own search would start from the bundle's folder).
 */
const ADDONS_BY_PATH = ['@serialport/bindings-cpp', 'better-sqlite3'];

/** Native or build-time packages stay in node_modules; everything else is inlined. */
const EXTERNAL = [
  // PKCS#11 (#20): a native addon and the libraries that load it, required where they are installed.
  'node-webcrypto-p11',
  'graphene-pk11',
  'pkcs11js',
  'serialport',
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
/** Commands with a bundle of their own (their entry, beside the whole CLI's main/cli/start.ts). */
const COMMAND_BUNDLES = { info: 'main/cli/start-info.ts' };

/** The bundle file that runs `command` (undefined: help, a typo), in a build's folder. */
function bundleFor(command) {
  return Object.hasOwn(COMMAND_BUNDLES, command) ? `${command}.cjs` : 'enroller.cjs';
}

/** Older builds are removed only when surely unused: a running command may still be reading one. */
const KEEP_OLD_BUILDS_MS = 60 * 60 * 1000;

/**
 * Two 32-bit multiplicative lanes over the stamp's numbers: it only tells one set of sources from
 * another (no adversary), and unlike node:crypto it costs nothing to load — every command
 * computes it before it runs (#18).
 */
class StampHash {
  #a = 0x811c9dc5;
  #b = 0x9747b28c;
  /**
   * Mixes a non-negative number below 2^53 (sizes, times in µs), both of its 32-bit halves. Called
   * about a thousand times at every start, before V8 has optimised anything: no array per call
   * (a loop over `[low, high]` cost 3.5 ms of a 10 ms stamp here).
   */
  add(n) {
    this.#mix(n >>> 0);
    this.#mix((n / 0x100000000) >>> 0);
  }
  #mix(half) {
    this.#a = Math.imul(this.#a ^ half, 0x01000193);
    this.#b = Math.imul(this.#b ^ half, 0x5bd1e995) ^ (this.#b >>> 15);
  }
  digest() {
    const hex = (n) => (n >>> 0).toString(16).padStart(8, '0');
    return hex(this.#a) + hex(this.#b);
  }
}

/**
 * The stamp of the sources as they are now. Every command computes it, so it reads numbers only:
 * each folder's modification time (it moves when an entry is added, removed or renamed) and each
 * source file's size, modification and change times (the change time moves when a file is
 * written, replaced or renamed) — one readdir per folder and one stat per file, no paths hashed.
 */
function sourceStamp(root) {
  const hash = new StampHash();
  for (const source of SOURCES) {
    const stat = fs.statSync(`${root}/${source}`, { throwIfNoEntry: false });
    if (!stat) hash.add(0);
    else if (stat.isDirectory()) addFolder(hash, `${root}/${source}`, stat);
    else addFile(hash, stat);
  }
  return hash.digest();
}

function addFolder(hash, folder, stat) {
  hash.add(Math.round(stat.mtimeMs * 1000));
  for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
    const full = `${folder}/${entry.name}`;
    if (entry.isDirectory()) addFolder(hash, full, fs.statSync(full));
    else if (entry.isFile() && SOURCE_FILE.test(entry.name)) addFile(hash, fs.statSync(full));
  }
}

function addFile(hash, stat) {
  hash.add(stat.size);
  hash.add(Math.round(stat.mtimeMs * 1000));
  hash.add(Math.round(stat.ctimeMs * 1000));
}

/** The entry file of an up-to-date bundle, built first when there is none for these sources. */
async function ensureCliBuilt(root) {
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
  const esbuild = require('esbuild');
  const entries = {
    enroller: 'main/cli/start.ts',
    attach: 'main/cli/attach/attach-client.ts',
    ...COMMAND_BUNDLES,
  };
  await Promise.all(
    Object.entries(entries).map(([name, entry]) =>
      esbuild.build(bundleOptions(root, entry, path.join(outdir, `${name}.cjs`))),
    ),
  );
}

/** esbuild's options for one bundle file. */
function bundleOptions(root, entry, outfile) {
  return {
    absWorkingDir: root,
    entryPoints: [entry],
    outfile,
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
    // Minified and ASCII only: less to read and compile at every start (2.5 MB → 1.8 MB; `info`
    // ~10 ms sooner here), one byte per character. Names are kept: stack traces and errors read
    // as in the sources, and code that looks at a class's name sees the same one.
    minifyWhitespace: true,
    minifySyntax: true,
    minifyIdentifiers: true,
    keepNames: true,
    charset: 'ascii',
    plugins: [builtinsOnce(root), loadedOnFirstUse(root), serialAddonByPath(path.dirname(outfile))],
    logLevel: 'warning',
  };
}

/**
 * node-serialport's JavaScript in the bundle (compiled with the command's code cache, no module
 * lookups), its compiled addon required by the path node-gyp-build finds for it at build time, on
 * this machine: left in node_modules, loading it took ~20 ms of every command that opens a port
 * (#18). Where no addon is found, node-gyp-build looks again when a port is first used, as before.
 */
function serialAddonByPath(outdir) {
  const fromBundle = (file) => JSON.stringify(path.relative(outdir, file).split(path.sep).join('/'));
  return {
    name: 'serial-addon-by-path',
    setup(build) {
      const loader = /[\\/]@serialport[\\/]bindings-cpp[\\/]dist[\\/]serialport-bindings\.js$/;
      build.onLoad({ filter: loader }, (args) => {
        const pkg = path.join(path.dirname(args.path), '..');
        const join = `require('node:path').join(__dirname, `;
        let addon;
        try {
          addon = require('node-gyp-build').resolve(pkg);
        } catch {
          return { contents: `exports.binding = require('node-gyp-build')(${join}${fromBundle(pkg)}));`, loader: 'js' };
        }
        return { contents: `exports.binding = require(${join}${fromBundle(addon)}));`, loader: 'js' };
      });
    },
  };
}

/** The folders of the project's own sources (what the plugins below treat as ours, not a package's). */
function sourceFolders(root) {
  return [path.join(root, 'main') + path.sep, path.join(root, 'shared') + path.sep];
}

/**
 * Each of Node's modules that the sources import (`import fs from 'node:fs'`) as one module of the
 * bundle, which every importer shares. Left to itself, esbuild wraps the module again for each
 * file that imports it (its __toESM copies all ~100 of node:fs's properties each time: ~140
 * copies, ~22 million instructions of every start, #18). Packages' own require() calls stay
 * as they are: they get Node's module itself, which some of them patch.
 */
function builtinsOnce(root) {
  const ours = sourceFolders(root);
  return {
    name: 'builtins-once',
    setup(build) {
      build.onResolve({ filter: /^node:/ }, (args) => {
        if (args.namespace === 'builtins-once') return { path: args.path, external: true };
        if (args.kind !== 'import-statement' || !ours.some((folder) => args.importer.startsWith(folder)))
          return undefined;
        return { path: args.path, namespace: 'builtins-once' };
      });
      build.onLoad({ filter: /.*/, namespace: 'builtins-once' }, (args) => ({
        contents: `import m from '${args.path}'; export default m; export * from '${args.path}';`,
        loader: 'js',
      }));
    },
  };
}

/**
 * Node's modules that packages require at load but use only on some paths, given to them as a
 * stand-in that requires the module the first time a property is read: commander requires
 * child_process (and with it net and dgram) for executable subcommands, which the CLI has none of,
 * and serialport's port listing for udevadm — about 5 ms of every start for modules most commands
 * never call (#18). The sources' own imports are left to builtinsOnce.
 */
const LOADED_ON_FIRST_USE = /^(node:)?child_process$/;

function loadedOnFirstUse(root) {
  const ours = sourceFolders(root);
  return {
    name: 'loaded-on-first-use',
    setup(build) {
      build.onResolve({ filter: LOADED_ON_FIRST_USE }, (args) => {
        if (args.namespace === 'loaded-on-first-use') return { path: args.path, external: true };
        if (args.kind !== 'require-call' || ours.some((folder) => args.importer.startsWith(folder))) return undefined;
        return { path: args.path.replace(/^node:/, ''), namespace: 'loaded-on-first-use' };
      });
      build.onLoad({ filter: /.*/, namespace: 'loaded-on-first-use' }, (args) => ({
        contents:
          `let loaded;\nconst load = () => (loaded ??= require('node:${args.path}'));\n` +
          'module.exports = new Proxy({}, { get: (_, key) => load()[key], has: (_, key) => key in load() });\n',
        loader: 'js',
      }));
    },
  };
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

module.exports = { ADDONS_BY_PATH, COMMAND_BUNDLES, EXTERNAL, bundleFor, bundleOptions, ensureCliBuilt, sourceStamp };

// `npm run build:cli` (and `npm test`'s build stage): the bundle, built now rather than by the
// first command, so commands started together after a change do not each build it.
if (require.main === module) {
  ensureCliBuilt(path.resolve(__dirname, '../..')).then((entry) => {
    console.log(`CLI bundle: ${path.relative(process.cwd(), path.dirname(entry))}`);
  });
}
