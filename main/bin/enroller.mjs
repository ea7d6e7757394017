#!/usr/bin/env node
// `npx enroller …` from a checkout, as plain JavaScript: the TypeScript is bundled once per change
// of the sources (cli-build.mjs) and compiled with V8's code cache (cached-script.mjs). A station
// already running on the data folder takes the command over its local socket (no database to open,
// no CA to unlock); otherwise it runs here.
import path from 'node:path';
import { ensureCliBuilt } from './cli-build.mjs';
import { requireCached } from './cached-script.mjs';

const root = path.resolve(import.meta.dirname, '../..');
const args = process.argv.slice(2);
const bundle = await ensureCliBuilt(root).then(path.dirname, (error) => {
  // A checkout nobody may write to (read-only media, another user's copy) cannot hold a bundle:
  // the sources run through tsx instead, as before there was one — slower to start, the same CLI.
  if (!['EACCES', 'EROFS', 'EPERM'].includes(error.code)) throw error;
  return undefined;
});
if (bundle === undefined) {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../cli.ts');
} else {
  const { attachOrNull, commandNamed } = requireCached(path.join(bundle, 'attach.cjs'), 'attach');
  const attached = await attachOrNull(args);
  if (attached !== null) process.exitCode = attached;
  else await requireCached(path.join(bundle, 'enroller.cjs'), commandNamed(args) ?? 'help').startCli(args);
}
