// The fleet outbox (#23) on a real station file: joining owes the fleet what is already there; the
// triggers note every change in the same commit; a slice reads each changed row once, as it is now;
// what is still running or only reserved is not sent; `forget` drops what the fleet has.
import { afterEach, describe, expect, it } from 'vitest';
import { forget, pendingCount, readBatch, startOutbox } from '../../../main/station/fleet/fleet-outbox';
import type { Station } from '../../../main/station/station';
import { openTestStation } from '../../helpers/station';

let station: Station | undefined;
afterEach(() => station?.close());

const now = () => new Date().toISOString();

function addDevice(s: Station, id: string, mode = 'NEW'): void {
  s.db
    .prepare('INSERT INTO devices (device_id, device_type, mode, created_at, updated_at) VALUES (?, ?, ?, ?, ?)')
    .run(id, 'csr-file-default', mode, now(), now());
}

function addJob(s: Station, deviceId: string, status: string): number {
  return Number(
    s.db
      .prepare(
        `INSERT INTO jobs (device_id, port, device_type, profile, step, status, started_at, updated_at)
         VALUES (?, 'file:x', 'csr-file-default', 'local', 'identified', ?, ?, ?)`,
      )
      .run(deviceId, status, now(), now()).lastInsertRowid,
  );
}

describe('the fleet outbox', () => {
  it('owes the fleet what was there at the join, and nothing twice for a second join', () => {
    station = openTestStation();
    addDevice(station, 'before-1');
    addDevice(station, 'before-2');
    startOutbox(station.db);
    expect(pendingCount(station.db, 0)).toBe(2);
    startOutbox(station.db);
    expect(pendingCount(station.db, 0)).toBe(2);
  });

  it('sends a row changed many times once, as it is now; running jobs are not sent until they end', () => {
    station = openTestStation();
    startOutbox(station.db);
    addDevice(station, 'dev-1');
    for (const mode of ['FACTORY', 'OPERATIONAL', 'DISABLED', 'OPERATIONAL'])
      station.db.prepare('UPDATE devices SET mode = ? WHERE device_id = ?').run(mode, 'dev-1');
    const job = addJob(station, 'dev-1', 'running');
    expect(pendingCount(station.db, 0)).toBe(5);
    station.db.prepare("UPDATE jobs SET status = 'running', step = 'csr' WHERE id = ?").run(job);
    expect(pendingCount(station.db, 0)).toBe(5);
    station.db.prepare("UPDATE jobs SET status = 'done', step = 'done' WHERE id = ?").run(job);
    expect(pendingCount(station.db, 0)).toBe(6);

    const batch = readBatch(station.db, 0, 100)!;
    expect(batch.changes).toBe(6);
    expect(batch.devices).toEqual([expect.objectContaining({ device_id: 'dev-1', mode: 'OPERATIONAL' })]);
    expect(batch.jobs).toEqual([expect.objectContaining({ job_id: job, status: 'done', step: 'done' })]);
    // A done job without a certificate claims nothing.
    expect(batch.held).toEqual([]);
  });

  it('reads a slice at a time and forgets what the fleet has', () => {
    station = openTestStation();
    startOutbox(station.db);
    for (let i = 0; i < 5; i++) addDevice(station, `dev-${i}`);
    const first = readBatch(station.db, 0, 2)!;
    expect(first.devices.map((d) => d.device_id)).toEqual(['dev-0', 'dev-1']);
    const second = readBatch(station.db, first.through, 2)!;
    expect(second.devices.map((d) => d.device_id)).toEqual(['dev-2', 'dev-3']);
    forget(station.db, second.through);
    expect(pendingCount(station.db, 0)).toBe(1);
    expect(readBatch(station.db, second.through, 2)!.devices.map((d) => d.device_id)).toEqual(['dev-4']);
    expect(readBatch(station.db, second.through + 1, 2)).toBeUndefined();
  });
});
