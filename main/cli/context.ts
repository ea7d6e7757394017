// What every CLI command gets: output in the chosen form, a logger on stderr and the data folder.
// The station itself comes from with-station.ts, which only commands that use it import: `info`
// is bundled without it (main/bin/cli-build.cjs), so it never loads the CA, enrollers or drivers.
import type { Command } from 'commander';
import { createLogger, type Logger } from '../log';
import { resolveDataDir } from '../station/data-dir';
import { invocation } from './invocation';
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
  readonly log: Logger;
  readonly dataDir: string;
}

export function context(command: Command): CommandContext {
  const options = command.optsWithGlobals<GlobalOptions>();
  const dataDir = resolveDataDir({ flag: options.dataDir });
  let log: Logger | undefined;
  // An attached command logs to its own person's terminal, not the station's.
  const sink = invocation().running ? invocation().stderr : undefined;
  const logger = () => (log ??= createLogger({ level: options.logLevel as 'info', ...(sink ? { sink } : {}) }));
  return {
    out: createOutput(options.json),
    // Made on first use: `info` never logs, and never pays for setting up the logger.
    get log() {
      return logger();
    },
    dataDir,
  };
}
