// Group commit for bulk work (`enroll --csr DIR` on the station CA, #18): many jobs' commits
// share one fsync instead of one each. While a group is open the connection commits with
// synchronous=NORMAL (written to the WAL, not yet flushed), and `durable()` is the barrier every
// job awaits before its next side effect and before its outcome is reported: one committed write
// with synchronous=FULL fsyncs the WAL file, and with it every frame the group wrote before. So
// nothing leaves the station — a file, a report line — before the ledger rows it depends on are
// on disk, exactly as with one fsync per commit; only the number of fsyncs changes.
// Only for a connection this process alone drives: the pragma is the connection's, and any other
// writer on it would take its commits for durable.
import type { Db } from './database';
import { SettingsStore } from './settings-store';

const BARRIER_KEY = 'store.group-commit-barrier';

export class GroupCommit {
  readonly #db: Db;
  readonly #settings: SettingsStore;
  readonly #flushFiles: () => void;
  #waiting: Array<{ resolve: () => void; reject: (error: unknown) => void }> = [];
  #scheduled = false;
  #barriers = 0;
  #open = true;

  /** `flushFiles` makes the files the group wrote durable too (run after the database's flush). */
  constructor(db: Db, flushFiles: () => void = () => {}) {
    this.#db = db;
    this.#settings = new SettingsStore(db);
    this.#flushFiles = flushFiles;
    db.pragma('synchronous = NORMAL');
  }

  /** How many flushes the group needed so far (the benchmark prints it per certificate). */
  get barriers(): number {
    return this.#barriers;
  }

  /** Resolves once everything committed before the call is on disk; one flush serves every caller waiting. */
  durable(): Promise<void> {
    if (!this.#open) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
      if (this.#scheduled) return;
      this.#scheduled = true;
      // After the jobs that are ready now have made their commits: they join this flush.
      setImmediate(() => this.#flush());
    });
  }

  /** The last flush, and the connection back to one fsync per commit. */
  async end(): Promise<void> {
    await this.durable();
    this.#open = false;
    this.#db.pragma('synchronous = FULL');
  }

  #flush(): void {
    const waiting = this.#waiting;
    this.#waiting = [];
    this.#scheduled = false;
    try {
      this.#db.pragma('synchronous = FULL');
      try {
        this.#settings.putText(BARRIER_KEY, String(++this.#barriers));
      } finally {
        this.#db.pragma('synchronous = NORMAL');
      }
      this.#flushFiles();
      for (const { resolve } of waiting) resolve();
    } catch (error) {
      for (const { reject } of waiting) reject(error);
    }
  }
}
