#!/usr/bin/env node
// `npx enroller …` from a checkout, as plain JavaScript: the TypeScript is bundled once per change
// of the sources (cli-build.mjs). A station already running on the data folder takes the command
// over its local socket (no database to open, no CA to unlock); otherwise it runs here.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ensureCliBuilt } from './cli-build.mjs';

const root = path.resolve(import.meta.dirname, '../..');
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
  const { attachOrNull } = await import(pathToFileURL(path.join(bundle, 'attach.mjs')).href);
  const attached = await attachOrNull(process.argv.slice(2));
  if (attached === null) await import(pathToFileURL(path.join(bundle, 'enroller.mjs')).href);
  else process.exitCode = attached;
}
