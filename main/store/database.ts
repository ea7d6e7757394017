// Opens the station's SQLite file the one safe way: WAL, synchronous=FULL, foreign keys on,
// and every pending migration applied. Anything less could lose a committed step on power loss.
import { createRequire } from 'node:module';
import path from 'node:path';
import Database from 'better-sqlite3';
import { EnrollerError } from '../../shared/errors';
import { migrations as defaultMigrations, type Migration } from './migrations';

export type Db = Database.Database;

/** PRAGMA synchronous value for FULL: fsync on every commit, including in WAL mode. */
const SYNCHRONOUS_FULL = 2;

export interface OpenOptions {
  readonly migrations?: readonly Migration[];
  readonly readonly?: boolean;
}

/**
 * better-sqlite3's compiled addon, named to it directly. Left to find it itself, it asks the
 * `bindings` package, which reads a stack trace and tries a dozen folders: ~4 ms of every CLI
 * start here (#18). The CLI bundle holds better-sqlite3's JavaScript (main/bin/cli-build.cjs), so
 * from there this is the only way to the addon. Undefined where it is not at the usual place (a
 * source run then lets the library look, as before).
 */
export const sqliteAddon = ((): string | undefined => {
  try {
    return createRequire(path.join(import.meta.dirname, 'index.js')).resolve(
      'better-sqlite3/build/Release/better_sqlite3.node',
    );
  } catch {
    return undefined;
  }
})();

/** A plain connection to an SQLite file, given its addon: every connection the station makes starts here. */
export function sqliteConnection(file: string, options: Database.Options = {}): Db {
  return new Database(file, { ...options, ...(sqliteAddon ? { nativeBinding: sqliteAddon } : {}) });
}

export function openDatabase(file: string, options: OpenOptions = {}): Db {
  const db = sqliteConnection(file, { readonly: options.readonly ?? false, timeout: 5000 });
  try {
    if (!options.readonly) db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    // A savepoint keeps the pages it changes in a statement journal, a temporary file once it passes
    // 64 KB: a bulk run's savepoints (group-commit.ts) made 750,000 writes to /var/tmp per 10,000
    // certificates that way. In memory they cost a copy; and no page of the ledger lands in /var/tmp.
    db.pragma('temp_store = MEMORY');
    assertDurable(db);
    if (!options.readonly) migrate(db, options.migrations ?? defaultMigrations);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** Refuses a connection that would not survive a power cut. Called on every open. */
export function assertDurable(db: Db): void {
  const synchronous = db.pragma('synchronous', { simple: true });
  if (synchronous !== SYNCHRONOUS_FULL) {
    throw new EnrollerError(
      'STORE_UNSAFE_PRAGMA',
      'The station database is not in synchronous=FULL mode; refusing to use it.',
      {
        synchronous,
      },
    );
  }
  const journal = db.pragma('journal_mode', { simple: true });
  if (!db.readonly && journal !== 'wal') {
    throw new EnrollerError('STORE_UNSAFE_PRAGMA', 'The station database is not in WAL mode; refusing to use it.', {
      journal,
    });
  }
}

export function schemaVersion(db: Db): number {
  return Number(db.pragma('user_version', { simple: true }));
}

export function migrate(db: Db, migrations: readonly Migration[]): void {
  const current = schemaVersion(db);
  const newest = migrations.at(-1)?.version ?? 0;
  if (current > newest) {
    throw new EnrollerError(
      'STORE_NEWER_SCHEMA',
      `The data folder was written by a newer station (schema ${current}, this one knows ${newest}). Update the ` +
        `station.`,
      { current, newest },
    );
  }
  for (const migration of migrations) {
    if (migration.version <= current) continue;
    const apply = db.transaction(() => {
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    });
    try {
      apply.immediate();
    } catch (error) {
      throw new EnrollerError(
        'STORE_MIGRATION_FAILED',
        `Could not upgrade the station database to schema ${migration.version} (${migration.name}).`,
        { version: migration.version },
        { cause: error },
      );
    }
  }
}
