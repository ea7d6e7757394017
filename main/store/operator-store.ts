// The people registered at the station and their roles.
import type { Db } from './database';
import { prepared } from './prepared';

export type Role = 'operator' | 'supervisor' | 'auditor';

export interface OperatorRow {
  readonly name: string;
  readonly role: Role;
  readonly pinHash: string;
}

export class OperatorStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  count(): number {
    return (prepared(this.#db, 'SELECT count(*) AS n FROM operators').get() as { n: number }).n;
  }

  hasSupervisor(): boolean {
    return prepared(this.#db, "SELECT 1 FROM operators WHERE role = 'supervisor' LIMIT 1").get() !== undefined;
  }

  list(): OperatorRow[] {
    return this.#db
      .prepare<[], { name: string; role: Role; pin_hash: string }>(
        'SELECT name, role, pin_hash FROM operators ORDER BY name',
      )
      .all()
      .map((r) => ({ name: r.name, role: r.role, pinHash: r.pin_hash }));
  }

  put(name: string, role: Role, pinHash: string, extra?: () => void): void {
    this.#db
      .transaction(() => {
        this.#db
          .prepare(
            'INSERT INTO operators (name, role, pin_hash, created_at) VALUES (?, ?, ?, ?) ON CONFLICT(name) DO ' +
              'UPDATE SET role = excluded.role, pin_hash = excluded.pin_hash',
          )
          .run(name, role, pinHash, new Date().toISOString());
        extra?.();
      })
      .immediate();
  }
}
