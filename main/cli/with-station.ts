// The station for a CLI command: opened here and closed afterwards, or the running station's when
// the command came in over its socket (attach/), with the command's access checked first.
import path from 'node:path';
import type { Command } from 'commander';
import type { Access } from '../../shared/contract/define';
import { EnrollerError } from '../../shared/errors';
import { DATABASE_FILE, storeError } from '../station/station-info';
import type { Station, StationMode } from '../station/station';
import { appVersion, context, type CommandContext } from './context';
import { invocation } from './invocation';
import { readSecret } from './secrets';

/** Inside withStation: who runs the command, for the audit record (the signed-in name, else 'cli'). */
export interface StationContext extends CommandContext {
  readonly actor: string;
}

/** The station on the command's data folder, opened in this process (loaded on first use). */
export async function openStation(ctx: CommandContext, mode: StationMode = 'cli'): Promise<Station> {
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
