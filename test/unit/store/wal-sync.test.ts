// Grouped durability (store/wal-sync.ts) on a real SQLite file: commits without an fsync each,
// one fdatasync of the WAL for every caller waiting, none when nothing was committed, and the
// connection back to synchronous=FULL at the end.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { assertDurable, openDatabase, type Db } from '../../../main/store/database';
import { WalSync } from '../../../main/store/wal-sync';
import { tempDir } from '../../helpers/station';

let db: Db | undefined;

function scratch(): Db {
  db = openDatabase(path.join(tempDir(), 'station.sqlite'));
  db.exec('CREATE TABLE scratch (n INTEGER)');
  return db;
}

const insert = (on: Db, n: number) => on.prepare('INSERT INTO scratch (n) VALUES (?)').run(n);

afterEach(() => {
  db?.close();
  db = undefined;
});

describe('WalSync', () => {
  it('commits without an fsync each; one sync serves every caller waiting, none when nothing is new', async () => {
    const on = scratch();
    const sync = WalSync.begin(on);
    expect(on.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    await sync.durable();
    expect(sync.syncs).toBe(0); // what was there before the run was on disk already

    for (let n = 0; n < 20; n++) insert(on, n);
    await Promise.all(Array.from({ length: 50 }, () => sync.durable()));
    expect(sync.syncs).toBe(1);
    await sync.durable();
    expect(sync.syncs).toBe(1);

    await sync.end();
    expect(on.pragma('synchronous', { simple: true })).toBe(2);
    expect(() => assertDurable(on)).not.toThrow();
  });

  it('a commit made while a sync runs waits for the next one, which every later caller shares', async () => {
    const on = scratch();
    const sync = WalSync.begin(on);
    insert(on, 1);
    const first = sync.durable();
    insert(on, 2); // after the running sync began: it may not cover this
    const order: string[] = [];
    const second = sync.durable().then(() => order.push(`second after ${sync.syncs} syncs`));
    const third = sync.durable().then(() => order.push(`third after ${sync.syncs} syncs`));
    await Promise.all([first, second, third]);
    expect(order).toEqual(['second after 2 syncs', 'third after 2 syncs']);
    expect(sync.syncs).toBe(2);
    await sync.end();
  });

  it('a write-ahead log that cannot be synced is a coded error for the caller, not a pass', async () => {
    const on = scratch();
    const sync = WalSync.begin(on);
    insert(on, 1);
    // The WAL vanishes under the connection (as on a failing disk): nothing can be made durable.
    fs.rmSync(`${on.name}-wal`);
    await expect(sync.durable()).rejects.toMatchObject({ code: 'STORE_WRITE_FAILED' });
    on.pragma('synchronous = FULL');
  });

  it('once a sync failed, no later one passes, even when the log could be synced again', async () => {
    const on = scratch();
    const sync = WalSync.begin(on);
    insert(on, 1);
    // The log's name taken by a folder for a moment: the sync cannot open it (EISDIR).
    const wal = `${on.name}-wal`;
    fs.renameSync(wal, `${wal}.aside`);
    fs.mkdirSync(wal);
    await expect(sync.durable()).rejects.toMatchObject({ code: 'STORE_WRITE_FAILED' });
    fs.rmdirSync(wal);
    fs.renameSync(`${wal}.aside`, wal);
    insert(on, 2);
    // The failed sync may have left a hole in the log that a later fsync would not see: nothing after it is trusted.
    await expect(sync.durable()).rejects.toMatchObject({ code: 'STORE_WRITE_FAILED' });
    expect(sync.syncs).toBe(0);
    await expect(sync.end()).rejects.toMatchObject({ code: 'STORE_WRITE_FAILED' });
    expect(on.pragma('synchronous', { simple: true })).toBe(2); // FULL again, as it ends
  });
});
