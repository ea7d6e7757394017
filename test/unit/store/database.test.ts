// The database file must always be opened durable (WAL + synchronous=FULL) and migrated once.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { assertDurable, openDatabase, schemaVersion, sqliteAddon } from '../../../main/store/database';
import { latestSchemaVersion, type Migration } from '../../../main/store/migrations';
import { tempDir } from '../../helpers/station';

describe('station database', () => {
  it('opens a real file in WAL mode with synchronous=FULL, every time', () => {
    const file = path.join(tempDir(), 'station.sqlite');
    for (let i = 0; i < 3; i++) {
      const db = openDatabase(file);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('synchronous', { simple: true })).toBe(2);
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(db.pragma('temp_store', { simple: true }), 'savepoint journals in memory, not in /var/tmp').toBe(2);
      expect(schemaVersion(db)).toBe(latestSchemaVersion);
      db.close();
    }
    expect(fs.existsSync(`${file}-wal`) || fs.existsSync(file)).toBe(true);
  });

  it('names better-sqlite3 its compiled addon, so it never searches for it', () => {
    // Undefined would mean every start pays the `bindings` package's search again (#18).
    expect(sqliteAddon).toMatch(/better_sqlite3\.node$/);
    expect(fs.statSync(sqliteAddon!).isFile()).toBe(true);
  });

  it('is the only place that makes a connection: the CLI bundle has no other way to the addon', () => {
    const main = path.resolve(import.meta.dirname, '../../../main');
    const sources = fs.readdirSync(main, { recursive: true, encoding: 'utf8' }).filter((f) => /\.tsx?$/.test(f));
    const connecting = sources.filter((file) => {
      const text = fs.readFileSync(path.join(main, file), 'utf8');
      return /^import (?!type )[^;]*from 'better-sqlite3'/m.test(text);
    });
    expect(connecting).toEqual([path.join('store', 'database.ts')]);
  });

  it('refuses a connection whose synchronous mode is anything but FULL', () => {
    const db = new Database(path.join(tempDir(), 'x.sqlite'));
    db.pragma('journal_mode = WAL');
    for (const mode of ['OFF', 'NORMAL', 'EXTRA']) {
      db.pragma(`synchronous = ${mode}`);
      expect(() => assertDurable(db)).toThrowError(expect.objectContaining({ code: 'STORE_UNSAFE_PRAGMA' }));
    }
    db.pragma('synchronous = FULL');
    expect(() => assertDurable(db)).not.toThrow();
    db.close();
  });

  it('applies numbered migrations once each, in order', () => {
    const file = path.join(tempDir(), 'm.sqlite');
    const steps: Migration[] = [
      { version: 1, name: 'a', sql: 'CREATE TABLE a (x INTEGER)' },
      { version: 2, name: 'b', sql: 'CREATE TABLE b (y INTEGER)' },
    ];
    openDatabase(file, { migrations: steps.slice(0, 1) }).close();
    const db = openDatabase(file, { migrations: steps });
    expect(schemaVersion(db)).toBe(2);
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name").pluck().all();
    expect(tables).toEqual(['a', 'b']);
    db.close();
    // Re-opening does not re-run anything (a CREATE TABLE would throw).
    openDatabase(file, { migrations: steps }).close();
  });

  it('rolls a failed migration back whole and reports it by code', () => {
    const file = path.join(tempDir(), 'f.sqlite');
    const steps: Migration[] = [
      { version: 1, name: 'ok', sql: 'CREATE TABLE a (x INTEGER)' },
      { version: 2, name: 'broken', sql: 'CREATE TABLE b (y INTEGER); THIS IS NOT SQL' },
    ];
    expect(() => openDatabase(file, { migrations: steps })).toThrowError(
      expect.objectContaining({ code: 'STORE_MIGRATION_FAILED' }),
    );
    const db = openDatabase(file, { migrations: steps.slice(0, 1) });
    expect(schemaVersion(db)).toBe(1);
    expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name='b'").pluck().get()).toBe(0);
    db.close();
  });

  it('refuses a data folder written by a newer station', () => {
    const file = path.join(tempDir(), 'n.sqlite');
    const raw = new Database(file);
    raw.pragma('user_version = 999');
    raw.close();
    expect(() => openDatabase(file)).toThrowError(expect.objectContaining({ code: 'STORE_NEWER_SCHEMA' }));
  });
});
