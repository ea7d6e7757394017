// A statement prepared once per connection and SQL text. Preparing is SQLite compiling the SQL:
// for a statement run once per device (the queue's debt, the device row) it cost more than running
// it, 0.3 ms per certificate in a bulk run (#18). better-sqlite3 statements are reusable; none here
// is put in a mode (pluck, raw, expand) that would change what another caller gets from it.
import type Database from 'better-sqlite3';
import type { Db } from './database';

const byConnection = new WeakMap<Db, Map<string, Database.Statement>>();

export function prepared<P extends unknown[] | object = unknown[], R = unknown>(
  db: Db,
  sql: string,
): Database.Statement<P, R> {
  let statements = byConnection.get(db);
  if (!statements) byConnection.set(db, (statements = new Map()));
  let statement = statements.get(sql);
  if (!statement) statements.set(sql, (statement = db.prepare(sql)));
  return statement as Database.Statement<P, R>;
}
