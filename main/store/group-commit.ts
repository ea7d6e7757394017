// Group commit for bulk work (`enroll --csr DIR` on the station CA, #18): many jobs' steps share
// one commit and one fsync instead of one each. While a group is open the connection stays inside
// one transaction, so each step's own transaction becomes a savepoint within it (better-sqlite3
// nests them so): it still rolls back alone if it fails, but writes nothing to the WAL yet.
// `durable()` is the barrier every job awaits before its next side effect and before its outcome
// is reported: it commits the group, opens the next, and puts the commit on disk with one
// fdatasync of the WAL on Node's thread pool (store/wal-sync.ts) while the main thread goes on
// with the next group (the commits' own fsyncs held it 0.12 s per 10,000 CSRs), and beside the
// group's files' flush instead of before it. So nothing leaves the station — a file, a report
// line — before the ledger rows it depends on are on disk, exactly as with one fsync per commit;
// only the number of commits changes. A kill before the barrier loses the group's steps, never a
// reported one. A WAL that would not sync once fails every later barrier (wal-sync.ts says why).
// Only for a connection this process alone drives: another writer on it would join the group.
import { EnrollerError } from '../../shared/errors';
import { AuditLog } from './audit-log';
import type { Db } from './database';
import { WalSync } from './wal-sync';

/**
 * WAL pages between checkpoints while groups commit (SQLite's default is 1,000). A group rewrites
 * thousands of index pages, so with the default every commit also copied them into the database
 * and synced it; with 8,192 (32 MB of WAL) a checkpoint comes every few groups and copies a page
 * rewritten by each of them once (10,000 CSRs: 38 % fewer page writes, a quarter of the fsyncs).
 */
const GROUP_CHECKPOINT_PAGES = 8192;

export class GroupCommit {
  readonly #db: Db;
  readonly #flushFiles: () => void | Promise<void>;
  readonly #gatherMs: number;
  #waiting: Array<{ resolve: () => void; reject: (error: unknown) => void }> = [];
  #scheduled = false;
  #commits = 0;
  #open = true;
  /** The connection's own checkpoint interval, given back at the end. */
  readonly #checkpointEvery: number;
  /** Puts each commit on disk off the main thread; the connection is back to synchronous=FULL at the end. */
  readonly #wal: WalSync;
  /** Set once SQLite dropped a group: every later barrier fails with it, none passes on a lost step. */
  #lost: EnrollerError | undefined;
  /** Its head's anchor is written once a commit, here, not with each append (audit-log.ts). */
  readonly #audit: AuditLog;

  /**
   * `flushFiles` makes the files the group wrote durable too (beside the commit's own sync).
   * `gatherMs` keeps a group open that long after its first barrier: a commit's cost is mostly the
   * index pages it rewrites, each once however many rows it gained, so a few hundred certificates a
   * commit cost far less each than a few dozen (measured: 100 a commit ≈ 137 µs each, 500 ≈ 59 µs).
   */
  constructor(db: Db, flushFiles: () => void | Promise<void> = () => {}, gatherMs = 0) {
    this.#db = db;
    this.#flushFiles = flushFiles;
    this.#gatherMs = gatherMs;
    this.#checkpointEvery = Number(db.pragma('wal_autocheckpoint', { simple: true }));
    db.pragma(`wal_autocheckpoint = ${GROUP_CHECKPOINT_PAGES}`);
    this.#wal = WalSync.begin(db);
    this.#audit = new AuditLog(db);
    this.#audit.anchorAtCommit();
    this.#begin();
  }

  /** How many group commits there were so far (the benchmark prints it per certificate). */
  get commits(): number {
    return this.#commits;
  }

  /** Resolves once everything done before the call is on disk; one commit serves every caller waiting. */
  durable(): Promise<void> {
    if (this.#lost) return Promise.reject(this.#lost);
    if (!this.#open) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
      if (this.#scheduled) return;
      this.#scheduled = true;
      // After the jobs that are ready now have made their steps, and those that become ready within
      // the gathering window: they all join this commit.
      if (this.#gatherMs > 0) setTimeout(() => void this.#flush(), this.#gatherMs);
      else setImmediate(() => void this.#flush());
    });
  }

  /** The last commit; after it each step commits (and fsyncs) on its own again. */
  async end(): Promise<void> {
    try {
      await this.durable();
    } finally {
      this.#open = false;
      try {
        this.#closeLastGroup();
      } finally {
        // The connection as it was, even after a failed disk: its own checkpoints, an fsync per commit,
        // an anchor with each append.
        this.#audit.anchorEachAppend();
        this.#db.pragma(`wal_autocheckpoint = ${this.#checkpointEvery}`);
        await this.#wal.end();
      }
    }
  }

  /** Commits the group still open, or gives it up whole when it is lost or cannot commit. */
  #closeLastGroup(): void {
    if (!this.#db.inTransaction) return;
    try {
      if (this.#lost) this.#db.exec('ROLLBACK');
      else this.#commitGroup();
    } catch (error) {
      // No step of it was reported: each resumes from its last step on disk.
      if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
      throw error;
    }
  }

  #begin(): void {
    this.#db.exec('BEGIN IMMEDIATE');
  }

  async #flush(): Promise<void> {
    const waiting = this.#waiting;
    this.#waiting = [];
    this.#scheduled = false;
    try {
      try {
        this.#commit();
      } finally {
        // The next group starts at once: jobs go on stepping while this one's files are synced.
        if (this.#open && !this.#lost && !this.#db.inTransaction) this.#begin();
      }
      // Both at once: a file flushed here was written after its ledger rows' own barrier had passed
      // (a certificate file waits for the commit of its certificate), so the two never race.
      await Promise.all([this.#wal.durable(), Promise.resolve().then(this.#flushFiles)]);
      for (const { resolve } of waiting) resolve();
    } catch (error) {
      for (const { reject } of waiting) reject(error);
    }
  }

  #commit(): void {
    // SQLite ends a transaction by itself on some errors (a full disk, an I/O error): the steps the
    // group made since its last commit are gone, and no job waiting on it may go on as if they were not.
    if (!this.#db.inTransaction) {
      throw (this.#lost ??= new EnrollerError(
        'STORE_WRITE_FAILED',
        'The station database gave up the last group of steps (the disk may be full or failing); nothing of it ' +
          'was kept. Run the command again once the disk is healthy: every device resumes from its last step on disk.',
      ));
    }
    this.#commitGroup();
    this.#commits++;
  }

  /** The group's rows, then the audit head's anchor beside them, in one commit. */
  #commitGroup(): void {
    this.#audit.anchorHead();
    this.#db.exec('COMMIT');
  }
}
