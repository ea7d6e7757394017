// The station's own settings (factory mode, the label printer, sign-in hold): one row per key,
// JSON values, each write stamped.
import type { Db } from './database';
import { prepared } from './prepared';

export class SettingsStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  get<T>(key: string): T | undefined {
    const text = this.text(key);
    return text === undefined ? undefined : (JSON.parse(text) as T);
  }

  /** Stores a value as JSON; undefined removes the key. */
  put(key: string, value: unknown): void {
    if (value === undefined) this.#db.prepare('DELETE FROM settings WHERE key = ?').run(key);
    else this.putText(key, JSON.stringify(value));
  }

  /** A value stored as plain text (older keys, like factory mode). */
  text(key: string): string | undefined {
    return prepared<[string], { value: string }>(this.#db, 'SELECT value FROM settings WHERE key = ?').get(key)?.value;
  }

  putText(key: string, value: string): void {
    this.#db
      .prepare(
        'INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = ' +
          'excluded.value, updated_at = excluded.updated_at',
      )
      .run(key, value, new Date().toISOString());
  }
}
