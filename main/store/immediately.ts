// A write transaction (BEGIN IMMEDIATE, or a savepoint inside one already open) around `work`.
// better-sqlite3 builds a new wrapper — four functions with their properties — for every
// db.transaction(fn) call, and the steps of every device job paid that each time (#18); here one
// wrapper per connection takes the work as its argument.
import type Database from 'better-sqlite3';
import type { Db } from './database';

type Runner = Database.Transaction<(work: () => unknown) => unknown>;
const runners = new WeakMap<Db, Runner>();

export function immediately<T>(db: Db, work: () => T): T {
  let runner = runners.get(db);
  if (!runner) runners.set(db, (runner = db.transaction((run: () => unknown) => run())));
  return runner.immediate(work) as T;
}
