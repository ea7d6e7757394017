// Durability off the main thread, for a run that owns its process's connection (#18: sixteen
// devices' commits, each with its own fsync on the one main thread, held every other port's
// replies back). For the run, commits write the WAL without an fsync each (synchronous=NORMAL: a
// process that dies keeps them; only the machine losing power could undo the newest), and whoever
// is about to act outside the station — write a device, ask a service, report an outcome — first
// awaits `durable()`: one fdatasync of the WAL on Node's thread pool, shared by every caller
// waiting then. SQLite recovers every committed frame that is on disk, so after it the commits
// before the call are exactly as safe as synchronous=FULL would have made them.
// Only for a process's own run: a connection shared with other work (a running station) keeps
// synchronous=FULL, because the other work would take its commits for durable.
import fs from 'node:fs/promises';
import path from 'node:path';
import { EnrollerError } from '../../shared/errors';
import type { Db } from './database';
import { diskError, readOnlyFolder } from './disk-errors';

export class WalSync {
  readonly #db: Db;
  readonly #changes: () => number;
  #wal: Promise<fs.FileHandle> | undefined;
  /** The running sync and the connection's change count when it began. */
  #running: { done: Promise<void>; at: number } | undefined;
  /** A sync queued behind the running one: it covers every caller that came meanwhile. */
  #queued: Promise<void> | undefined;
  /** The change count the last completed sync covered. */
  #synced: number;
  #syncs = 0;
  #ended = false;
  /**
   * The first sync that failed. Every later one fails with it: after a failed fsync Linux may mark
   * the unwritten pages clean, so a later sync can succeed over a hole in the WAL — and SQLite's
   * recovery stops at the first frame it cannot read, taking every later commit with it.
   */
  #failed: unknown;

  private constructor(db: Db) {
    this.#db = db;
    const totalChanges = db.prepare('SELECT total_changes()').pluck();
    this.#changes = () => totalChanges.get() as number;
    // What is committed before the run is on disk already (synchronous=FULL until now).
    this.#synced = this.#changes();
  }

  /** From now on the connection's commits are made durable by `durable()`, until `end()`. */
  static begin(db: Db): WalSync {
    const sync = new WalSync(db);
    db.pragma('synchronous = NORMAL');
    return sync;
  }

  /** How many fsyncs the run made (tests and benchmarks count them). */
  get syncs(): number {
    return this.#syncs;
  }

  /** Resolves once every commit made before the call is on disk. */
  durable(): Promise<void> {
    if (this.#ended) return Promise.resolve();
    if (this.#failed !== undefined) return Promise.reject(this.#failed);
    const changes = this.#changes();
    if (changes === this.#synced) return Promise.resolve();
    const running = this.#running;
    if (!running) return this.#start(changes);
    if (changes === running.at) return running.done;
    // The running sync may have begun before this caller's commits: one more after it.
    this.#queued ??= running.done
      .catch(() => undefined)
      .then(() => {
        this.#queued = undefined;
        return this.#start(this.#changes());
      });
    return this.#queued;
  }

  /** The last sync; the connection fsyncs each commit again (synchronous=FULL). */
  async end(): Promise<void> {
    try {
      await this.durable();
    } finally {
      this.#ended = true;
      if (this.#db.open) this.#db.pragma('synchronous = FULL');
      await (await this.#wal?.catch(() => undefined))?.close();
    }
  }

  #start(at: number): Promise<void> {
    const done = this.#sync(at);
    const running = { done, at };
    this.#running = running;
    const settled = () => {
      if (this.#running === running) this.#running = undefined;
    };
    done.then(settled, settled);
    return done;
  }

  async #sync(at: number): Promise<void> {
    if (this.#failed !== undefined) throw this.#failed;
    try {
      this.#wal ??= fs.open(`${this.#db.name}-wal`, 'r+').catch((error: unknown) => {
        this.#wal = undefined;
        throw error;
      });
      await (await this.#wal).datasync();
    } catch (error) {
      throw (this.#failed ??= this.#lost(error));
    }
    this.#syncs++;
    if (at > this.#synced) this.#synced = at;
  }

  #lost(error: unknown): unknown {
    // A file open for writing that can no longer be synced (EROFS): its file system went read-only
    // under it, as after a disk error. EIO and the rest are told as for any write (disk-errors.ts).
    const code = (error as { code?: string }).code;
    if (code === 'EROFS') return readOnlyFolder(path.dirname(this.#db.name), 'EIO');
    const known = diskError(error, this.#db.name);
    if (known !== error) return known;
    const cause = code ?? String(error);
    return new EnrollerError(
      'STORE_WRITE_FAILED',
      'The station could not put its latest steps on disk (the write-ahead log would not sync); the devices stop at ' +
        'their last steps on disk. Run again once the disk is healthy: every device resumes from there.',
      { cause },
    );
  }
}
