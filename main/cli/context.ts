// What every CLI command gets: output in the chosen form and the data folder. The station and a
// logger come from with-station.ts, which only commands that use them import: `info` is bundled
// without it (main/bin/cli-build.cjs), so it never loads the CA, the enrollers, the drivers or pino.
import type { Command } from 'commander';
import { resolveDataDir } from '../station/data-dir';
import { findPackage } from './package-root';
import { createOutput, type Output } from './output';

export const { root: packageRoot, version: appVersion } = findPackage(import.meta.dirname);

export interface GlobalOptions {
  dataDir?: string;
  json: boolean;
  logLevel: string;
}

export interface CommandContext {
  readonly out: Output;
  readonly dataDir: string;
}

export function context(command: Command): CommandContext {
  const options = command.optsWithGlobals<GlobalOptions>();
  return { out: createOutput(options.json), dataDir: resolveDataDir({ flag: options.dataDir }) };
}
