// Numbered schema migrations. Each runs once, in its own transaction, and bumps
// PRAGMA user_version, so a crash mid-migration leaves the previous version intact.
// Append new migrations; never edit one that has shipped.

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'settings',
    sql: `
      CREATE TABLE settings (
        key        TEXT PRIMARY KEY,
        value      TEXT NOT NULL,
        updated_at TEXT NOT NULL
      ) STRICT;
    `,
  },
];

export const latestSchemaVersion = migrations.at(-1)?.version ?? 0;
