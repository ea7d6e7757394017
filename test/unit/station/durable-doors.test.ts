// The doors of a run with grouped durability (station/pipeline/durable-doors.ts), on a real WalSync
// and SQLite file: a step that acts outside the station waits until every commit before it is on
// disk; a step that only reads a device, or only commits, goes on without an fsync.
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../../main/store/database';
import { ACTS_OUTSIDE, STEPS, type Step } from '../../../main/store/job-store';
import { WalSync } from '../../../main/store/wal-sync';
import { durableDoors } from '../../../main/station/pipeline/durable-doors';
import { tempDir } from '../../helpers/station';

let db: Db | undefined;

afterEach(() => {
  db?.close();
  db = undefined;
});

describe('durableDoors', () => {
  it('syncs the commits before a key is replaced, a service asked or a device written, and no others', async () => {
    db = openDatabase(path.join(tempDir(), 'station.sqlite'));
    db.exec('CREATE TABLE scratch (step TEXT)');
    const sync = WalSync.begin(db);
    const entered: Step[] = [];
    const door = durableDoors(sync, (step) => void entered.push(step));
    const doors = STEPS.filter((s) => s !== 'detected' && s !== 'done');

    const synced: Step[] = [];
    for (const step of doors) {
      db.prepare('INSERT INTO scratch (step) VALUES (?)').run(step); // each step commits before the next door
      const before = sync.syncs;
      await door(step);
      if (sync.syncs > before) synced.push(step);
    }
    expect(entered).toEqual(doors); // the batch's own door (pause, cancel) still runs at every step
    expect(synced).toEqual(['csr', 'enrolled', 'written']);
    expect(synced).toEqual(doors.filter((s) => ACTS_OUTSIDE.has(s)));
    await sync.end();
  });

  it('a door that acts outside waits for the sync: a failed one stops the step before its side effect', async () => {
    const failing = { durable: () => Promise.reject(new Error('EIO')) };
    const entered: Step[] = [];
    const door = durableDoors(failing, (step) => void entered.push(step));
    await expect(door('approved')).resolves.toBeUndefined();
    await expect(door('written')).rejects.toThrow('EIO');
    expect(entered).toEqual(['approved']);
  });
});
