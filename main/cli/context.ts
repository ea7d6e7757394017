// What every CLI command gets: output in the chosen form, a logger on stderr, and the station.
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Command } from 'commander';
import type { Access } from '../../shared/contract';
import { EnrollerError } from '../../shared/errors';
import { readSecret } from './secrets';
import { createLogger, type Logger } from '../log';
import { resolveDataDir } from '../station/data-dir';
import { Station, type StationMode } from '../station/station';
import { createOutput, type Output } from './output';

export const packageRoot = path.resolve(import.meta.dirname, '../..');
export const appVersion = (
  createRequire(import.meta.url)(path.join(packageRoot, 'package.json')) as { version: string }
).version;

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

/**
 * Runs `work` with a station that is closed afterwards, whatever happens. Once the station has a
 * supervisor, the command's access is checked first against the PIN given with `--pin-file`.
 */
export async function withStation<T>(
  command: Command,
  access: Access,
  work: (station: Station, ctx: CommandContext) => Promise<T>,
): Promise<T> {
  const ctx = context(command);
  const station = ctx.openStation();
  try {
    const session = `cli:${process.pid}`;
    if (access !== 'public' && station.access.enforced) {
      const { pinFile } = command.optsWithGlobals<{ pinFile?: string }>();
      if (!pinFile && !process.stdin.isTTY)
        throw new EnrollerError('AUTH_REQUIRED', 'This station has a supervisor: give your PIN with --pin-file FILE.');
      station.access.login(session, await readSecret(pinFile, 'PIN'));
    }
    station.access.authorize(access, session, `run \`enroller ${commandPath(command)}\``);
    return await work(station, ctx);
  } finally {
    station.close();
  }
}

/** `ca init`, `profile add`: the words a person typed after `enroller`. */
function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}
