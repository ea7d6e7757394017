// Group commit (bulk enrollment): many jobs' steps share one commit. Every job that asks waits for a
// commit that began after its steps; jobs ready at the same moment share one; nothing of a group is
// visible on disk before its commit; the commit is synced off the main thread and the files
// flushed beside it, both before anyone is told; a step that fails rolls back alone; a group
// SQLite dropped fails every later barrier; a last group that cannot commit is given up, and the
// connection is handed back as it was.
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { AuditLog, verifyAuditChain } from '../../../main/store/audit-log';
import { assertDurable, openDatabase } from '../../../main/store/database';
import { GroupCommit } from '../../../main/store/group-commit';
import { SettingsStore } from '../../../main/store/settings-store';
import { tempDir } from '../../helpers/station';

function station() {
  const file = path.join(tempDir(), 'station.sqlite');
  // The chain as a process opening the file after a kill -9 would judge it.
  const auditOnDisk = () => {
    const reader = new Database(file, { readonly: true });
    try {
      return verifyAuditChain(reader);
    } finally {
      reader.close();
    }
  };
  const db = openDatabase(file);
  // What a process opening the file after a kill -9 would find.
  const onDisk = (key: string) => {
    const reader = new Database(file, { readonly: true });
    try {
      return reader.prepare<[string], { value: string }>('SELECT value FROM settings WHERE key = ?').get(key)?.value;
    } finally {
      reader.close();
    }
  };
  return { db, settings: new SettingsStore(db), onDisk, auditOnDisk };
}

describe('GroupCommit', () => {
  it('checkpoints the WAL every few groups while it runs, and as the connection did once it ends', async () => {
    const { db } = station();
    const every = () => db.pragma('wal_autocheckpoint', { simple: true });
    expect(every()).toBe(1000);
    const group = new GroupCommit(db);
    expect(every()).toBe(8192);
    await group.end();
    expect(every()).toBe(1000);
  });

  it('syncs each commit off the main thread while it runs, and every commit again once it ends', async () => {
    const { db, settings } = station();
    const synchronous = () => db.pragma('synchronous', { simple: true });
    const group = new GroupCommit(db);
    expect(synchronous(), 'a commit does not fsync on the main thread').toBe(1); // NORMAL
    settings.put('step', 1);
    await group.durable(); // one fdatasync of the WAL (store/wal-sync.ts) before the barrier passes
    await group.end();
    expect(synchronous()).toBe(2); // FULL
    expect(() => assertDurable(db)).not.toThrow();
    db.close();
  });

  it('serves many jobs with one commit, on disk only at the barrier, files flushed after the commit', async () => {
    const { db, settings, onDisk } = station();
    const events: string[] = [];
    const group = new GroupCommit(db, () => void events.push(`files flushed, job-7 on disk: ${onDisk('job-7')}`));

    const job = async (i: number) => {
      db.transaction(() => settings.put(`job-${i}`, i))(); // a step of this job's own
      await group.durable();
      events.push(`job ${i} told`);
    };
    const jobs = Promise.all(Array.from({ length: 50 }, (_, i) => job(i)));
    expect(onDisk('job-7'), 'a step is not on disk before its group commits').toBeUndefined();
    await jobs;
    expect(group.commits).toBe(1);
    expect(events[0]).toBe('files flushed, job-7 on disk: 7');
    expect(events.filter((e) => e.endsWith('told'))).toHaveLength(50);

    // A job that steps after a commit began waits for the next one.
    settings.put('late', 1);
    await group.durable();
    expect(group.commits).toBe(2);
    expect(onDisk('late')).toBe('1');

    await group.end();
    expect(db.inTransaction).toBe(false);
    expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL, as openDatabase left it
    settings.put('after', 1); // each step commits on its own again
    expect(onDisk('after')).toBe('1');
    db.close();
  });

  it('gives the connection back as it was even when its last commit fails', async () => {
    const { db } = station();
    // A commit that fails without a broken disk: a deferred foreign key checked only at COMMIT.
    db.exec(`CREATE TABLE parent (id INTEGER PRIMARY KEY);
             CREATE TABLE child (parent INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)`);
    const group = new GroupCommit(db);
    db.prepare('INSERT INTO child (parent) VALUES (7)').run();
    await expect(group.end()).rejects.toMatchObject({ code: 'SQLITE_CONSTRAINT_FOREIGNKEY' });
    expect(db.inTransaction, 'the group that could not commit is given up').toBe(false);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    expect(db.prepare('SELECT count(*) AS n FROM child').get()).toEqual({ n: 0 });
    db.close();
  });

  it('gathers the steps of jobs that become ready within its window into one commit', async () => {
    const { db, settings, onDisk } = station();
    const group = new GroupCommit(db, () => {}, 30);
    // Jobs stepping a few milliseconds apart, as a bulk run's do while their signatures come back.
    const job = async (i: number) => {
      await new Promise((resolve) => setTimeout(resolve, i % 2 ? 2 : 0));
      settings.put(`gathered-${i}`, i);
      await group.durable();
    };
    const jobs = Promise.all(Array.from({ length: 20 }, (_, i) => job(i)));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(onDisk('gathered-1'), 'nothing is on disk while the group gathers').toBeUndefined();
    await jobs;
    expect(group.commits).toBe(1);
    expect(onDisk('gathered-19')).toBe('19');
    await group.end();
    db.close();
  });

  it('rolls a failed step back alone and keeps the others of its group', async () => {
    const { db, settings, onDisk } = station();
    const group = new GroupCommit(db);
    db.transaction(() => settings.put('kept', 1))();
    expect(() =>
      db.transaction(() => {
        settings.put('failed', 1);
        throw new Error('the step failed half-way');
      })(),
    ).toThrow('half-way');
    await group.end();
    expect(onDisk('kept')).toBe('1');
    expect(onDisk('failed')).toBeUndefined();
    db.close();
  });

  it('tells every waiting job when a flush fails, instead of leaving them hanging', async () => {
    const { db } = station();
    const group = new GroupCommit(db, () => {
      throw Object.assign(new Error('No space left on device'), { code: 'ENOSPC' });
    });
    const waits = [group.durable(), group.durable(), group.durable()];
    for (const wait of waits) await expect(wait).rejects.toMatchObject({ code: 'ENOSPC' });
    await expect(group.end()).rejects.toMatchObject({ code: 'ENOSPC' });
    expect(db.inTransaction).toBe(false);
    db.close();
  });

  it('fails every later barrier once SQLite has dropped a group (as on a full disk)', async () => {
    const { db, settings, onDisk } = station();
    const group = new GroupCommit(db);
    settings.put('lost', 1);
    db.exec('ROLLBACK'); // what SQLite does by itself on SQLITE_FULL or SQLITE_IOERR
    await expect(group.durable()).rejects.toMatchObject({ code: 'STORE_WRITE_FAILED' });
    settings.put('after-the-loss', 1);
    await expect(group.durable(), 'no barrier passes on a lost step').rejects.toMatchObject({
      code: 'STORE_WRITE_FAILED',
    });
    await expect(group.end()).rejects.toMatchObject({ code: 'STORE_WRITE_FAILED' });
    expect(onDisk('lost')).toBeUndefined();
    db.close();
  });

  it('anchors the audit head once a commit: each commit on disk a whole chain; each append after the run', async () => {
    const { db, auditOnDisk } = station();
    const audit = new AuditLog(db);
    audit.append('station.started', 'station');
    const anchor = () => db.prepare("SELECT value FROM settings WHERE key = 'audit.head'").pluck().get();
    const group = new GroupCommit(db);
    for (let i = 0; i < 3; i++)
      audit.appendAll([
        { action: 'certificate.issued', subject: `dev-${i}` },
        { action: 'device.provisioned', subject: `dev-${i}` },
      ]);
    expect(JSON.parse(anchor() as string), 'not moved by each append').toMatchObject({ seq: 1 });
    await group.durable();
    expect(auditOnDisk()).toMatchObject({ ok: true, rows: 7, head: { seq: 7 } });
    audit.append('certificate.issued', 'dev-3');
    await group.end();
    expect(auditOnDisk()).toMatchObject({ ok: true, rows: 8, head: { seq: 8 } });
    audit.append('station.stopped', 'station');
    expect(JSON.parse(anchor() as string), 'each append anchors itself once the run ends').toMatchObject({ seq: 9 });
    expect(auditOnDisk()).toMatchObject({ ok: true, rows: 9 });
    db.close();
  });
});
