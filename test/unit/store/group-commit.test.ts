// Group commit (bulk enrollment): many jobs' commits share one flush. Every job that asks waits for
// a flush that began after its commits; jobs ready at the same moment share one; the files are
// flushed after the database and before anyone is told; the connection goes back to FULL at the end.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../main/store/database';
import { GroupCommit } from '../../../main/store/group-commit';
import { SettingsStore } from '../../../main/store/settings-store';
import { tempDir } from '../../helpers/station';

const NORMAL = 1;
const FULL = 2;

describe('GroupCommit', () => {
  it('serves many jobs with one flush, files after the database, and ends in FULL', async () => {
    const db = openDatabase(path.join(tempDir(), 'station.sqlite'));
    const events: string[] = [];
    const settings = new SettingsStore(db);
    const group = new GroupCommit(db, () =>
      events.push(`files after barrier ${settings.text('store.group-commit-barrier')}`),
    );
    expect(db.pragma('synchronous', { simple: true })).toBe(NORMAL);

    const job = async (i: number) => {
      settings.put(`job-${i}`, i); // a commit of this job's own
      await group.durable();
      events.push(`job ${i} told`);
    };
    await Promise.all(Array.from({ length: 50 }, (_, i) => job(i)));
    expect(group.barriers).toBe(1);
    expect(events[0]).toBe('files after barrier 1');
    expect(events.filter((e) => e.endsWith('told'))).toHaveLength(50);

    // A job that commits after a flush began waits for the next one.
    settings.put('late', 1);
    await group.durable();
    expect(group.barriers).toBe(2);

    await group.end();
    expect(db.pragma('synchronous', { simple: true })).toBe(FULL);
    // end() flushes once more; after it each commit is FULL again and durable() resolves at once.
    await group.durable();
    expect(group.barriers).toBe(3);
    db.close();
  });

  it('tells every waiting job when a flush fails, instead of leaving them hanging', async () => {
    const db = openDatabase(path.join(tempDir(), 'station.sqlite'));
    const group = new GroupCommit(db, () => {
      throw Object.assign(new Error('No space left on device'), { code: 'ENOSPC' });
    });
    const waits = [group.durable(), group.durable(), group.durable()];
    for (const wait of waits) await expect(wait).rejects.toMatchObject({ code: 'ENOSPC' });
    db.close();
  });
});
