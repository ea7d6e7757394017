// Device types as validated JSON documents. Built-ins are seeded on open and cannot be removed.
import { EnrollerError } from '../../shared/errors';
import { builtinDeviceTypes, DeviceTypeDocument, type DeviceTypeInput } from '../../shared/device-type';
import type { Db } from './database';
import { fieldIssues } from '../../shared/field-issues';

export class DeviceTypeStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
    this.#seedMissingBuiltins();
  }

  /**
   * The built-ins a data folder does not hold yet (a new one, or one from before a release that
   * added some). Looked up first, so an open that finds them all — nearly every one — neither
   * validates them again nor takes the write lock (#18: about 5 ms of every command's start).
   */
  #seedMissingBuiltins(): void {
    // Any row by a built-in's name keeps it out, as INSERT OR IGNORE always did; OR IGNORE still
    // settles two processes that open a new data folder at once.
    const held = new Set(this.#db.prepare<[], string>('SELECT name FROM device_types').pluck().all());
    const missing = builtinDeviceTypes.filter((builtin) => !held.has(builtin.name));
    if (missing.length === 0) return;
    const seed = this.#db.prepare(
      'INSERT OR IGNORE INTO device_types (name, document, builtin, updated_at) VALUES (?, ?, 1, ?)',
    );
    this.#db
      .transaction(() => {
        for (const builtin of missing)
          seed.run(builtin.name, JSON.stringify(DeviceTypeDocument.parse(builtin)), new Date().toISOString());
      })
      .immediate();
  }

  get(name: string): DeviceTypeDocument {
    const row = this.#db
      .prepare<[string], { document: string }>('SELECT document FROM device_types WHERE name = ?')
      .get(name);
    if (!row) throw new EnrollerError('DEVICE_TYPE_NOT_FOUND', `There is no device type named "${name}".`, { name });
    return DeviceTypeDocument.parse(JSON.parse(row.document));
  }

  list(): DeviceTypeDocument[] {
    return this.#db
      .prepare<[], { document: string }>('SELECT document FROM device_types ORDER BY name')
      .all()
      .map((r) => DeviceTypeDocument.parse(JSON.parse(r.document)));
  }

  /** Validates and stores (insert or replace). Returns the normalised document. */
  put(input: unknown): DeviceTypeDocument {
    const parsed = DeviceTypeDocument.safeParse(input);
    if (!parsed.success) {
      throw new EnrollerError('DEVICE_TYPE_INVALID', 'The device type is not valid.', {
        issues: fieldIssues(parsed.error),
      });
    }
    this.#db
      .prepare(
        'INSERT INTO device_types (name, document, builtin, updated_at) VALUES (?, ?, 0, ?) ON CONFLICT(name) DO ' +
          'UPDATE SET document = excluded.document, updated_at = excluded.updated_at',
      )
      .run(parsed.data.name, JSON.stringify(parsed.data), new Date().toISOString());
    return parsed.data;
  }
}

export type { DeviceTypeInput };
