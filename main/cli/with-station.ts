// The station for a CLI command: opened here and closed afterwards, or the running station's when
// the command came in over its socket (attach/), with the command's access checked first; and the
// logger the station's work writes to.
import path from 'node:path';
import type { Command } from 'commander';
import type { Access } from '../../shared/contract/define';
import { EnrollerError } from '../../shared/errors';
import { DATABASE_FILE, storeError } from '../station/station-info';
import type { Station, StationMode } from '../station/station';
import { createLogger, type Logger } from '../log';
import { appVersion, context, type CommandContext, type GlobalOptions } from './context';
import { invocation } from './invocation';
import { readSecret } from './secrets';

/** A command's context with a logger on stderr (an attached command's: its own person's terminal). */
export interface LoggedContext extends CommandContext {
  readonly log: Logger;
}

/** Inside withStation: who runs the command, for the audit record (the signed-in name, else 'cli'). */
export interface StationContext extends LoggedContext {
  readonly actor: string;
}

export function loggedContext(command: Command): LoggedContext {
  const { logLevel } = command.optsWithGlobals<GlobalOptions>();
  const sink = invocation().running ? invocation().stderr : undefined;
  let log: Logger | undefined;
  return {
    ...context(command),
    // Made on first use: a command that never logs never sets up the logger.
    get log() {
      return (log ??= createLogger({ level: logLevel as 'info', ...(sink ? { sink } : {}) }));
    },
  };
}

/** The station on the command's data folder, opened in this process (loaded on first use). */
export async function openStation(ctx: LoggedContext, mode: StationMode = 'cli'): Promise<Station> {
  const { Station } = await import('../station/station');
  return Station.open({ dataDir: ctx.dataDir, appVersion, mode, log: ctx.log });
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
  const ctx = loggedContext(command);
  try {
    return await stationWork(command, ctx, access, work);
  } catch (error) {
    // SQLite's "database disk image is malformed", met while reading: the same code and way back as at open.
    throw storeError(error, path.join(ctx.dataDir, DATABASE_FILE), ctx.dataDir);
  }
}

async function stationWork<T>(
  command: Command,
  ctx: LoggedContext,
  access: Access,
  work: (station: Station, ctx: StationContext) => Promise<T>,
): Promise<T> {
  const running = invocation().running;
  const station = running?.station ?? (await openStation(ctx));
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
