// The fleet sync worker's back-off (#23) and how fleet errors are told apart, on a real station file:
// a fleet that cannot be reached (a loopback port nobody listens on) makes rounds further apart —
// doubling from the first step, ±20 %, up to the cap — and "sync now" starts the back-off again.
// A local fault is not taken for an outage.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { FleetStatus } from '../../../shared/contract';
import { fleetAway, fleetError, saveLink } from '../../../main/station/fleet/fleet-link';
import { FleetWorker } from '../../../main/station/fleet/fleet-worker';
import { createLogger } from '../../../main/log';
import type { Station } from '../../../main/station/station';
import { openTestStation } from '../../helpers/station';

let station: Station | undefined;
let worker: FleetWorker | undefined;
afterEach(async () => {
  await worker?.stop();
  station?.close();
});

async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

describe('the fleet sync worker', () => {
  it('backs off while the fleet is away: doubling, jittered, capped; sync now starts again', async () => {
    station = openTestStation();
    const link = {
      url: `postgres://line-x@127.0.0.1:${await closedPort()}/fleet`,
      station: 'line-x',
      caPem: '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n',
      joinedAt: new Date().toISOString(),
    };
    saveLink(station.db, station.dataDir, link, 'fleet password 000');
    const delays: number[] = [];
    const seen: FleetStatus[] = [];
    let resolveAll: () => void = () => {};
    const done = new Promise<void>((resolve) => (resolveAll = resolve));
    worker = new FleetWorker(station, {
      log: createLogger({ level: 'silent' }),
      firstBackoffMs: 100,
      maxBackoffMs: 400,
      onChange: (status) => {
        seen.push(status);
        delays.push(Date.parse(status.nextAttemptAt!) - Date.now());
        if (seen.length === 4) resolveAll();
      },
    });
    worker.start();
    await done;
    expect(seen.map((s) => s.state)).toEqual(['away', 'away', 'away', 'away']);
    expect(seen[0]).toMatchObject({ joined: true, station: 'line-x', code: 'FLEET_UNREACHABLE' });
    // 100, 200, 400, 400 ms, each ±20 % (less the moment between scheduling and this callback).
    for (const [i, step] of [100, 200, 400, 400].entries()) {
      expect(delays[i]).toBeGreaterThan(step * 0.8 - 50);
      expect(delays[i]).toBeLessThanOrEqual(step * 1.2);
    }
    const now = await worker.syncNow();
    expect(now.state).toBe('away');
    expect(Date.parse(now.nextAttemptAt!) - Date.now()).toBeLessThanOrEqual(120);
  });

  it('tells an outage from a refused login and from a fault that is not the fleet', () => {
    expect(fleetAway(fleetError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })))).toBe(
      true,
    );
    expect(fleetError(Object.assign(new Error('password authentication failed'), { code: '28P01' }))).toMatchObject({
      code: 'FLEET_AUTH_FAILED',
    });
    expect(fleetError(new Error('self-signed certificate in certificate chain'))).toMatchObject({
      code: 'FLEET_TLS_UNTRUSTED',
    });
    const disk = Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR_WRITE' });
    expect(fleetError(disk)).toBe(disk);
    expect(fleetAway(fleetError(disk))).toBe(false);
  });
});
