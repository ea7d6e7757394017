// A sync cut in the middle (#23), on Debian's PostgreSQL: nothing lost, nothing twice.
//  1. The server stopped after the second of six slices: the sync fails FLEET_UNREACHABLE; after a
//     restart the next sync sends exactly the four slices that were not in, and the fleet holds
//     every row once.
//  2. `fleet sync` killed with SIGKILL once its first slice is in: the next run finishes the rest.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectFleet, readLink, readPassword } from '../../../main/station/fleet/fleet-link';
import { pendingCount } from '../../../main/station/fleet/fleet-outbox';
import { syncToFleet } from '../../../main/station/fleet/fleet-sync';
import { enrollerBin, runEnroller } from '../../helpers/cli';
import { openTestStation, tempDir } from '../../helpers/station';
import { prepareFleet, startFleetServer, type FleetServer, type PreparedFleet } from '../../support/fleet-postgres';

let server: FleetServer;
let fleet: PreparedFleet;

beforeAll(async () => {
  server = await startFleetServer();
  fleet = await prepareFleet(server, ['cut-a', 'cut-b']);
}, 60_000);

afterAll(() => server?.close());

/** A joined station whose ledger holds `count` devices made since it joined (each one outbox row). */
async function stationWithDevices(name: string, count: number): Promise<string> {
  const dir = tempDir(`enroller-fleet-${name}-`);
  const joined = await runEnroller(
    dir,
    ...['fleet', 'join', server.url(fleet.role(name)), '--password-file', fleet.passwordFile(name)],
  );
  expect(joined.lines.at(-1), joined.stderr).toMatchObject({ status: 'joined' });
  const station = openTestStation(dir);
  const insert = station.db.prepare(
    "INSERT INTO devices (device_id, device_type, mode, created_at, updated_at) VALUES (?, 'csr-file-default', " +
      "'OPERATIONAL', ?, ?)",
  );
  const now = new Date().toISOString();
  station.db.transaction(() => {
    for (let i = 0; i < count; i++) insert.run(`${name}-${String(i).padStart(6, '0')}`, now, now);
  })();
  station.close();
  return dir;
}

const fleetCount = (name: string) =>
  Number(server.psql(`SELECT count(*) FROM fleet.devices WHERE station = '${name}'`).trim());
const cursorOf = (name: string) =>
  Number(server.psql(`SELECT outbox_cursor FROM fleet.stations WHERE name = '${name}'`).trim());

describe('a fleet sync cut in the middle', () => {
  it('resumes after the server stopped between slices: every row once, the rest sent once', async () => {
    const dir = await stationWithDevices('cut-a', 600);
    const station = openTestStation(dir);
    try {
      const link = readLink(station.db)!;
      const first = await connectFleet(link, readPassword(dir));
      let slices = 0;
      const cut = syncToFleet(station.db, first, station.audit, {
        slice: 100,
        onSlice: () => {
          if (++slices === 2) server.stop();
        },
      });
      await expect(cut).rejects.toMatchObject({ code: 'FLEET_UNREACHABLE' });
      await first.end().catch(() => {});
      server.start();
      expect(fleetCount('cut-a')).toBe(200);
      expect(pendingCount(station.db, 0)).toBe(400);

      const second = await connectFleet(link, readPassword(dir));
      const resumed = await syncToFleet(station.db, second, station.audit, { slice: 100 });
      await second.end();
      expect(resumed).toMatchObject({ sent: 400, slices: 4, pending: 0 });
      expect(fleetCount('cut-a')).toBe(600);
      const ids = server.psql("SELECT count(DISTINCT device_id) FROM fleet.devices WHERE station = 'cut-a'").trim();
      expect(Number(ids)).toBe(600);
      const lastOutboxId = cursorOf('cut-a');
      expect(lastOutboxId).toBeGreaterThanOrEqual(600);
      expect(pendingCount(station.db, 0)).toBe(0);
    } finally {
      station.close();
    }
  }, 60_000);

  it('finishes after `fleet sync` was killed with SIGKILL once its first slice was in', async () => {
    const dir = await stationWithDevices('cut-b', 50_000);
    const child = spawn(process.execPath, [enrollerBin, '--data-dir', dir, '--no-attach', '--json', 'fleet', 'sync'], {
      stdio: 'ignore',
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const deadline = Date.now() + 30_000;
    while (cursorOf('cut-b') === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGKILL');
    await exited;
    // A slice the killed process had sent may still be running in the server; it ends (committed
    // whole, cursor and rows together, or not at all) before its session goes away.
    const sessions = () => server.psql("SELECT count(*) FROM pg_stat_activity WHERE usename = 'cut-b'").trim();
    for (const until = Date.now() + 20_000; sessions() !== '0' && Date.now() < until;)
      await new Promise((r) => setTimeout(r, 50));
    expect(sessions()).toBe('0');
    const inBeforeKill = fleetCount('cut-b');
    expect(inBeforeKill).toBeGreaterThan(0);
    expect(inBeforeKill).toBeLessThan(50_000);

    const rerun = await runEnroller(dir, 'fleet', 'sync');
    expect(rerun.lines.at(-1), rerun.stderr).toMatchObject({ status: 'synced', pending: 0 });
    expect(fleetCount('cut-b')).toBe(50_000);
    // Exactly what the killed run had not committed: the cursor moved in the statement that took each slice.
    expect(Number(rerun.lines.at(-1)!.sent)).toBe(50_000 - inBeforeKill);
    expect(fs.existsSync(path.join(dir, 'station.sqlite'))).toBe(true);
  }, 90_000);
});
