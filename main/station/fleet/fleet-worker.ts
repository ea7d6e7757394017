// The fleet sync in a running station (the app, `enroller serve`; #23): a round every interval,
// and when the fleet cannot be reached, rounds further apart (doubling, with jitter, up to a cap)
// so a fleet that is down costs almost nothing while the station works on offline-first. A sync
// asked for by a person runs at once. One round at a time; stop() waits for the current one.
import crypto from 'node:crypto';
import type { FleetStatus } from '../../../shared/contract';
import { isEnrollerError } from '../../../shared/errors';
import type { Logger } from '../../log';
import type { Station } from '../station';
import { fleetAway, readLink, withFleet } from './fleet-link';
import { pendingCount } from './fleet-outbox';
import { fleetSeenBy } from './fleet-report';
import { syncToFleet } from './fleet-sync';

export interface FleetWorkerOptions {
  readonly log: Logger;
  readonly onChange: (status: FleetStatus) => void;
  readonly intervalMs?: number;
  readonly firstBackoffMs?: number;
  readonly maxBackoffMs?: number;
}

type Outcome = Pick<FleetStatus, 'state' | 'code' | 'message'>;

export class FleetWorker {
  readonly #station: Station;
  readonly #options: Required<FleetWorkerOptions>;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;
  #backoffMs = 0;
  #outcome: Outcome = { state: 'idle', code: null, message: null };
  #lastSyncAt: string | null = null;
  #nextAttemptAt: string | null = null;
  #seen: Pick<FleetStatus, 'conflicts' | 'stations'> = { conflicts: [], stations: [] };

  constructor(station: Station, options: FleetWorkerOptions) {
    this.#station = station;
    this.#options = { intervalMs: 60_000, firstBackoffMs: 5_000, maxBackoffMs: 300_000, ...options };
  }

  /** Starts the rounds when this station is in a fleet (checked again at each round: a join starts them). */
  start(): this {
    this.#schedule(1_000);
    return this;
  }

  status(): FleetStatus {
    const link = readLink(this.#station.db);
    return {
      joined: link !== undefined,
      station: link?.station ?? null,
      url: link?.url ?? null,
      ...this.#outcome,
      lastSyncAt: this.#lastSyncAt,
      nextAttemptAt: this.#nextAttemptAt,
      pending: link ? pendingCount(this.#station.db, 0) : 0,
      ...this.#seen,
    };
  }

  /** A round now (a person asked): the back-off starts again from its first step. */
  async syncNow(): Promise<FleetStatus> {
    await this.#running; // a round already under way ends first; then one that starts the back-off afresh
    this.#backoffMs = 0;
    await this.#round();
    return this.status();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    this.#nextAttemptAt = new Date(Date.now() + ms).toISOString();
    this.#timer = setTimeout(() => void this.#round(), ms);
    this.#timer.unref();
  }

  #round(): Promise<void> {
    this.#running ??= this.#sync().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #sync(): Promise<void> {
    const station = this.#station;
    if (!readLink(station.db)) return this.#schedule(this.#options.intervalMs);
    this.#outcome = { state: 'syncing', code: null, message: null };
    try {
      this.#seen = await withFleet(station.db, station.dataDir, async (client) => {
        const { station: name } = await syncToFleet(station.db, client, station.audit);
        return fleetSeenBy(client, name);
      });
      this.#lastSyncAt = new Date().toISOString();
      this.#outcome = { state: 'synced', code: null, message: null };
      this.#backoffMs = 0;
      this.#schedule(this.#options.intervalMs);
    } catch (error) {
      this.#failed(error);
    }
    this.#options.onChange(this.status());
  }

  /** Away: the next round after the back-off. Anything else (a refused login, a rewritten trail): logged. */
  #failed(error: unknown): void {
    const { code, message } = isEnrollerError(error)
      ? error
      : { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) };
    const away = fleetAway(error);
    this.#outcome = { state: away ? 'away' : 'failed', code, message };
    const { firstBackoffMs, maxBackoffMs } = this.#options;
    this.#backoffMs = Math.min(maxBackoffMs, this.#backoffMs ? this.#backoffMs * 2 : firstBackoffMs);
    // ±20 %: stations that lost the fleet together do not all come back in the same second.
    const jittered = Math.round((this.#backoffMs * crypto.randomInt(800, 1201)) / 1000);
    if (away) this.#options.log.info({ code, retryInMs: jittered }, 'fleet away; trying again later');
    else this.#options.log.warn({ code, message }, 'fleet sync failed');
    this.#schedule(away ? jittered : maxBackoffMs);
  }
}
