// What every CLI command gets: output in the chosen form, a logger on stderr, and the station —
// opened here, or the running station's when the command came in over its socket (attach/).
import path from 'node:path';
import type { Command } from 'commander';
import type { Access } from '../../shared/contract/define';
import { EnrollerError } from '../../shared/errors';
import { readSecret } from './secrets';
import { createLogger, type Logger } from '../log';
import { resolveDataDir } from '../station/data-dir';
import { DATABASE_FILE, storeError } from '../station/station-info';
import type { Station, StationMode } from '../station/station';
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
  /** Loaded on first use: a command that never opens the station never loads it. */
  openStation(mode?: StationMode): Promise<Station>;
}

/** Inside withStation: who runs the command, for the audit record (the signed-in name, else 'cli'). */
export interface StationContext extends CommandContext {
  readonly actor: string;
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
    openStation: async (mode = 'cli') => {
      const { Station } = await import('../station/station');
      return Station.open({ dataDir, appVersion, mode, log: logger() });
    },
  };
}

/**
 * Runs `work` with the station: opened for this command and closed afterwards, or the running one
 * when attached. Once the station has a supervisor, the command's access is checked first against
 * the PIN given with `--pin-file`, as one session that ends with the command.
 */
export async function withStation<T>(
  command: Command,
  access: Access,
  work: (station: Station, ctx: StationContext) => Promise<T>,
): Promise<T> {
  const ctx = context(command);
  try {
    return await stationWork(command, ctx, access, work);
  } catch (error) {
    // SQLite's "database disk image is malformed", met while reading: the same code and way back as at open.
    throw storeError(error, path.join(ctx.dataDir, DATABASE_FILE), ctx.dataDir);
  }
}

async function stationWork<T>(
  command: Command,
  ctx: CommandContext,
  access: Access,
  work: (station: Station, ctx: StationContext) => Promise<T>,
): Promise<T> {
  const running = invocation().running;
  const station = running?.station ?? (await ctx.openStation());
  // globalThis.crypto: node:crypto is loaded only by an attached command, never on a CLI's start-up path (#18).
  const session = running ? `attach:${globalThis.crypto.randomUUID()}` : `cli:${process.pid}`;
  try {
    if (access !== 'public' && station.access.enforced) {
      const { pinFile } = command.optsWithGlobals<{ pinFile?: string }>();
      if (!pinFile && !invocation().interactive)
        throw new EnrollerError('AUTH_REQUIRED', 'This station has a supervisor: give your PIN with --pin-file FILE.');
      station.access.login(session, await readSecret(pinFile, 'PIN'));
    }
    station.access.authorize(access, session, `run \`enroller ${commandPath(command)}\``);
    return await work(station, { ...ctx, actor: station.access.actorOf(session, 'cli') });
  } finally {
    if (running) station.access.logout(session);
    else station.close();
  }
}

/** `ca init`, `profile add`: the words a person typed after `enroller`. */
function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}
