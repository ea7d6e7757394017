// One claim per device ID in SQLite: within a process, against a live second process, and taken
// over from a process killed with SIGKILL mid-device.
import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { describe, expect, it } from 'vitest';
import { JobStore } from '../../../main/store/job-store';
import { repoRoot } from '../../helpers/cli';
import { openTestStation, tempDir } from '../../helpers/station';

const job = (port: string, deviceId: string) => ({ port, deviceType: 'nrf91-default', profile: 'local', deviceId });

describe('device ID claims', () => {
  it(
    'a second job for an ID in flight is refused naming both inputs; once the first ends (failed, waiting or done) ' +
      'the next may go on',
    () => {
      const station = openTestStation();
      const jobs = new JobStore(station.db);
      try {
        const first = jobs.start(job('/dev/ttyA', 'nrf-1'), ['identified', 'approved']);
        expect(() => jobs.start(job('/dev/ttyB', 'nrf-1'), ['identified', 'approved'])).toThrowError(
          expect.objectContaining({
            code: 'DEVICE_ID_CONFLICT',
            message: expect.stringMatching(/\/dev\/ttyB is device nrf-1, which \/dev\/ttyA is enrolling right now/),
          }),
        );
        // The refused job's commit rolled back whole: no row, no claim moved.
        expect(station.db.prepare("SELECT count(*) AS n FROM jobs WHERE device_id = 'nrf-1'").get()).toEqual({ n: 1 });
        jobs.fail(first.id, 'csr', 'DEVICE_TIMEOUT', 'gone');
        const second = jobs.start(job('/dev/ttyB', 'nrf-1'), ['identified', 'approved']);
        jobs.markWaiting(second.id, 'queued');
        const third = jobs.start(job('/dev/ttyC', 'nrf-1'), ['identified', 'approved']);
        jobs.advance(third.id, ['verified', 'done']);
        expect(station.db.prepare('SELECT count(*) AS n FROM device_claims').get()).toEqual({ n: 0 });
        // Another ID is never in the way.
        jobs.start(job('/dev/ttyD', 'nrf-2'), ['identified']);
      } finally {
        station.close();
      }
    },
  );

  it(
    'holds against another live process on the same data folder, and is taken over once that process is killed with ' +
      'SIGKILL',
    async () => {
      const dataDir = tempDir();
      openTestStation(dataDir).close();
      const holder = spawn(
        process.execPath,
        ['--import', 'tsx', path.join(repoRoot, 'test/support/claim-holder.ts'), dataDir, 'nrf-shared'],
        { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] },
      );
      await new Promise<void>((resolve, reject) => {
        holder.once('exit', (code) => reject(new Error(`claim holder exited with ${code}`)));
        readline
          .createInterface({ input: holder.stdout! })
          .once('line', (line) => (line === 'claimed' ? resolve() : reject(new Error(line))));
      });
      const station = openTestStation(dataDir);
      const jobs = new JobStore(station.db);
      try {
        expect(() => jobs.start(job('/dev/ttyHERE', 'nrf-shared'), ['identified', 'approved'])).toThrowError(
          expect.objectContaining({
            code: 'DEVICE_ID_CONFLICT',
            details: expect.objectContaining({ heldBy: '/dev/ttyOTHER' }),
          }),
        );
        await new Promise((resolve) => {
          holder.once('exit', resolve);
          holder.kill('SIGKILL');
        });
        const taken = jobs.start(job('/dev/ttyHERE', 'nrf-shared'), ['identified', 'approved']);
        expect(station.db.prepare('SELECT job_id, input FROM device_claims').all()).toEqual([
          { job_id: taken.id, input: '/dev/ttyHERE' },
        ]);
      } finally {
        station.close();
        holder.kill('SIGKILL');
      }
    },
  );
});
