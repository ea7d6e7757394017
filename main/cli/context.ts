// What every CLI command gets: output in the chosen form, a logger on stderr, and the station.
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Command } from 'commander';
import { createLogger, type Logger } from '../log';
import { resolveDataDir } from '../station/data-dir';
import { Station, type StationMode } from '../station/station';
import { createOutput, type Output } from './output';

export const packageRoot = path.resolve(import.meta.dirname, '../..');
export const appVersion = (createRequire(import.meta.url)(path.join(packageRoot, 'package.json')) as { version: string }).version;

export interface GlobalOptions {
  dataDir?: string;
  json: boolean;
  logLevel: string;
}

export interface CommandContext {
  readonly out: Output;
  readonly log: Logger;
  readonly dataDir: string;
  openStation(mode?: StationMode): Station;
}

export function context(command: Command): CommandContext {
  const options = command.optsWithGlobals<GlobalOptions>();
  const log = createLogger({ level: options.logLevel as 'info' });
  const dataDir = resolveDataDir({ flag: options.dataDir });
  return {
    out: createOutput(options.json),
    log,
    dataDir,
    openStation: (mode = 'cli') => Station.open({ dataDir, appVersion, mode, log }),
  };
}

/** Runs `work` with a station that is closed afterwards, whatever happens. */
export async function withStation<T>(command: Command, work: (station: Station, ctx: CommandContext) => Promise<T>): Promise<T> {
  const ctx = context(command);
  const station = ctx.openStation();
  try {
    return await work(station, ctx);
  } finally {
    station.close();
  }
}
