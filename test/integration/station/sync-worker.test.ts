// The background sync worker of a running station, through the contract: while the service is
// down it tries each item once and then backs off; `queue:sync` settles everything once it is up.
import { afterEach, describe, expect, it } from 'vitest';
import type { QueueEntry } from '../../../shared/contract';
import { createDispatch } from '../../../main/api/dispatch';
import { benchEventsTo, EventHub } from '../../../main/api/events';
import { createStationService, queueEntries, stationGuard } from '../../../main/api/station-service';
import { inProcessModems } from '../../../main/devices/nrf91-sim/memory-host';
import { Bench } from '../../../main/station/bench';
import { simulatedSlots } from '../../../main/station/slot-sources';
import type { Station } from '../../../main/station/station';
import { startSyncWorker, type SyncWorker } from '../../../main/station/sync/sync-worker';
import { fileLogger, openTestStation, tempDir } from '../../helpers/station';
import { startEstServer, type EstServer } from '../../support/est-server';

const PASS = 'sync worker passphrase';
let station: Station | undefined;
let worker: SyncWorker | undefined;
let est: EstServer | undefined;
afterEach(async () => {
  await worker?.stop();
  await est?.close();
  station?.close();
});

describe('the sync worker', () => {
  it('backs off while the service is down and settles the queue once it is back', async () => {
    est = await startEstServer({ user: 'station', password: 'pw' });
    station = openTestStation();
    const { log } = fileLogger(tempDir());
    await station.ca.init({ passphrase: PASS });
    await station.profiles.add(
      'factory-est',
      { protocol: 'est', url: est.url, user: 'station', trustPem: est.tlsCaPem },
      { password: 'pw' },
      { passphrase: PASS },
    );
    station.deviceTypes.put({
      ...station.deviceTypes.get('nrf91-default'),
      name: 'nrf91-hold',
      profile: 'factory-est',
      offline: { policy: 'hold' },
    });
    const hub = new EventHub();
    const changes: QueueEntry[][] = [];
    hub.subscribe(
      (event, payload) => event === 'queue:changed' && changes.push((payload as { entries: QueueEntry[] }).entries),
    );
    const bench = new Bench(
      station,
      simulatedSlots(inProcessModems(3, { dir: tempDir(), keygenDelayMs: 20, seedPrefix: 'sync' })),
      benchEventsTo(hub),
      log,
    );
    const s = station;
    worker = startSyncWorker(station, {
      intervalMs: 200,
      passphrase: () => bench.sessionPassphrase(),
      log,
      onChange: () => hub.emit('queue:changed', { entries: queueEntries(s) }),
    });
    const dispatch = createDispatch(createStationService(station, bench, { sync: worker }), log, stationGuard(station));
    const call = async (method: string, request: unknown = {}) => {
      const result = await dispatch(method, request, { transport: 'websocket', session: 'sync-test' });
      if (!result.ok) throw Object.assign(new Error(result.error.message), result.error);
      return result.value;
    };
    await call('station:unlock', { passphrase: PASS });
    await call('batch:start', { deviceType: 'nrf91-hold', ports: ['sim-1'] }); // online: chain cached
    expect((await bench.finished()).map((o) => o.status)).toEqual(['verified']);

    await est.goOffline();
    await call('batch:start', { deviceType: 'nrf91-hold', ports: ['sim-2', 'sim-3'] });
    expect((await bench.finished()).map((o) => o.status)).toEqual(['waiting', 'waiting']);
    await new Promise((r) => setTimeout(r, 1500)); // ~7 worker rounds
    const waiting = (await call('queue:list')) as QueueEntry[];
    expect(waiting.map((e) => [e.status, e.attempts, e.code])).toEqual([
      ['queued', 1, 'ENROLL_UNREACHABLE'],
      ['queued', 1, 'ENROLL_UNREACHABLE'],
    ]); // tried once each, then backing off
    expect(changes.length).toBeGreaterThanOrEqual(1);

    await est.comeBack();
    const settled = (await call('queue:sync')) as QueueEntry[];
    expect(settled.map((e) => e.status)).toEqual(['synced', 'synced']);
    expect(changes.at(-1)!.map((e) => e.status)).toEqual(['synced', 'synced']);
    // Plugged again, the devices receive what the queue obtained.
    await call('batch:start', { deviceType: 'nrf91-hold', ports: ['sim-2', 'sim-3'] });
    expect((await bench.finished()).map((o) => o.status)).toEqual(['verified', 'verified']);
    expect(((await call('queue:list')) as QueueEntry[]).map((e) => e.status)).toEqual(['delivered', 'delivered']);
  });
});
