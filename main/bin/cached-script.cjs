// Loads a CommonJS bundle of the CLI with V8's code cache, so a command does not parse and compile
// megabytes of JavaScript at every start (#18: ~110 ms of a cold `provision` was compilation).
// Node 20 caches no compiled code for modules of its own (module.enableCompileCache came in 22.1),
// so the bundle is compiled here as vm.Script, the way Node's CommonJS loader compiles a file, with
// the cache V8 made for it beside it. A cache is made per name (the command): it holds the
// functions that command ran, written once at the end of the first successful run that had none,
// or whose cache V8 refused (another Node, other V8 flags). A cache is only ever an optimization: one that
// cannot be read or written changes nothing but the start-up time.
'use strict';
const { isAscii } = require('node:buffer');
const fs = require('node:fs');
const { createRequire } = require('node:module');
const path = require('node:path');
const vm = require('node:vm');

/** `require(file)`, compiled with the code cache named `cacheName` beside it. */
function requireCached(file, cacheName) {
  const cacheFile = `${file}.${cacheName}.cache`;
  const cachedData = readOrUndefined(cacheFile);
  // The wrapper is on the source's first line, so stack traces keep their line numbers.
  const wrapped = `(function (exports, require, module, __filename, __dirname) {${readSource(file)}\n})`;
  const script = new vm.Script(wrapped, {
    filename: file,
    cachedData,
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  // Only a run that succeeded: one that stopped at a typo would leave a cache of the argument parser.
  if (cachedData === undefined || script.cachedDataRejected)
    process.once('exit', (code) => code === 0 && writeCache(script, cacheFile));
  const module = { exports: {}, filename: file, id: file };
  script.runInThisContext()(module.exports, createRequire(file), module, file, path.dirname(file));
  return module.exports;
}

/** The bundle is ASCII (charset: 'ascii'): read as one byte per character, without decoding UTF-8. */
function readSource(file) {
  const bytes = fs.readFileSync(file);
  return bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8');
}

function readOrUndefined(file) {
  try {
    return fs.readFileSync(file);
  } catch {
    return undefined;
  }
}

/** Written whole (temporary file, then rename): a command started meanwhile reads none or all of it. */
function writeCache(script, cacheFile) {
  const temporary = `${cacheFile}.${process.pid}`;
  try {
    fs.writeFileSync(temporary, script.createCachedData());
    fs.renameSync(temporary, cacheFile);
  } catch {
    fs.rmSync(temporary, { force: true });
  }
}

module.exports = { requireCached };
