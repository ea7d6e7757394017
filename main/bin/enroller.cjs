#!/usr/bin/env node
// `npx enroller …` from a checkout, as plain JavaScript: the TypeScript is bundled once per change
// of the sources (cli-build.cjs) and compiled with V8's code cache (cached-script.cjs). A station
// already running on the data folder takes the command over its local socket (no database to open,
// no CA to unlock); otherwise it runs here. CommonJS: Node starts it ~10 ms sooner than a module.
'use strict';
const path = require('node:path');
const { bundleFor, ensureCliBuilt } = require('./cli-build.cjs');
const { requireCached } = require('./cached-script.cjs');

async function main(args) {
  const bundle = await ensureCliBuilt(path.resolve(__dirname, '../..')).then(path.dirname, (error) => {
    // A checkout nobody may write to (read-only media, another user's copy) cannot hold a bundle:
    // the sources run through tsx instead, as before there was one — slower to start, the same CLI.
    if (!['EACCES', 'EROFS', 'EPERM'].includes(error.code)) throw error;
    return undefined;
  });
  if (bundle === undefined) {
    const { register } = await import('tsx/esm/api');
    register();
    await import('../cli.ts');
    return;
  }
  const { attachOrNull, commandNamed } = requireCached(path.join(bundle, 'attach.cjs'), 'attach');
  const attached = await attachOrNull(args);
  if (attached !== null) {
    process.exitCode = attached;
    return;
  }
  const command = commandNamed(args);
  await requireCached(path.join(bundle, bundleFor(command)), command ?? 'help').startCli(args);
}

// Once nothing is left to run, the process ends at once: Node's own teardown of a command's heap
// and handles (~6 ms of a provision run here, #18) serves no one after the last write is done. No
// write can be cut short: 'beforeExit' comes only when no write, timer or socket is pending.
process.once('beforeExit', () => process.exit());

main(process.argv.slice(2)).catch((error) => {
  // What the CLI itself reports never gets here; this is a launcher that could not start it.
  console.error(error);
  process.exitCode = 1;
});
