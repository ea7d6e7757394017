// Batches on the bench, through the contract: one job per slot in parallel, a failing device that
// stops nothing else, retry resuming from the last durable step, pause at step boundaries,
// cancel, and the per-device deadline. Simulated modems run in-process (as `serve --simulate`).
import crypto from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { BatchState, SlotState } from '../../../shared/contract';
import { createDispatch } from '../../../main/api/dispatch';
import { benchEventsTo, EventHub } from '../../../main/api/events';
import { createStationService } from '../../../main/api/station-service';
import { inProcessModems, type InProcessModem } from '../../../main/devices/nrf91-sim/memory-host';
import { Bench } from '../../../main/station/bench';
import { simulatedSlots } from '../../../main/station/slot-sources';
import type { Station } from '../../../main/station/station';
import { fileLogger, openTestStation, tempDir, until } from '../../helpers/station';

const PASS = 'batch test passphrase';
const caller = { transport: 'websocket', session: 'batch-test' } as const;
let station: Station | undefined;
afterEach(() => station?.close());

async function setUp(count: number, options: { keygenDelayMs?: number; deviceDeadlineMs?: number } = {}) {
  station = openTestStation();
  const { log } = fileLogger(tempDir());
  const modems = inProcessModems(count, {
    dir: tempDir(),
    keygenDelayMs: options.keygenDelayMs ?? 50,
    seedPrefix: `batch-${crypto.randomUUID()}`,
  });
  const hub = new EventHub();
  const events: Array<{ event: string; payload: unknown }> = [];
  hub.subscribe((event, payload) => events.push({ event, payload }));
  const bench = new Bench(station, simulatedSlots(modems), benchEventsTo(hub), log, options);
  const dispatch = createDispatch(createStationService(station, bench), log);
  const call = async (method: string, request: unknown = {}) => {
    const result = await dispatch(method, request, caller);
    if (!result.ok) throw Object.assign(new Error(result.error.message), result.error);
    return result.value;
  };
  await call('ca:init', { passphrase: PASS });
  return {
    bench,
    modems,
    events,
    call,
    slotsOf: (port: string) =>
      events
        .filter((e) => e.event === 'device:changed' && (e.payload as SlotState).port === port)
        .map((e) => e.payload as SlotState),
  };
}

const auditCount = (action: string, subject: string) =>
  station!.db
    .prepare<[string, string], { n: number }>('SELECT count(*) AS n FROM audit_log WHERE action = ? AND subject = ?')
    .get(action, subject)!.n;

describe('batches on the bench', () => {
  it('runs every slot at once; a failing device stops nothing else; retry finishes it', async () => {
    const { bench, modems, events, call, slotsOf } = await setUp(4);
    // Garbled once is a hiccup (asked again); garbled on every try is a failing device.
    for (let i = 0; i < 3; i++) modems[2]!.inject('garbage', /^AT%KEYGEN/);
    const started = (await call('batch:start', { deviceType: 'nrf91-default' })) as BatchState;
    expect(started).toMatchObject({ total: 4, profile: 'local' });
    const first = await bench.finished();
    expect(first.map((o) => o.status)).toEqual(['verified', 'verified', 'failed', 'verified']);
    expect(first[2]).toMatchObject({ port: 'sim-3', code: 'DEVICE_GARBAGE' });
    // Every slot reported each step it reached, in the flow's order.
    const seen = slotsOf('sim-1')
      .map((s) => s.step)
      .filter((step, i, all) => step !== all[i - 1]);
    expect(seen).toEqual(['detected', 'identified', 'approved', 'csr', 'enrolled', 'written', 'verified', 'done']);
    const progress = events.filter((e) => e.event === 'batch:progress').map((e) => e.payload as BatchState);
    expect(progress.at(-1)).toMatchObject({ status: 'finished', counts: { verified: 3, failed: 1 } });

    await call('batch:retry', {});
    const second = await bench.finished();
    expect(second.map((o) => o.status)).toEqual(['verified', 'verified', 'verified', 'verified']);
    expect(new Set(second.map((o) => o.certSerial)).size).toBe(4);
    const view = (await call('device:list')) as { batch: BatchState; slots: SlotState[] };
    expect(view.batch.counts.verified).toBe(4);
    expect(view.slots.find((s) => s.port === 'sim-3')).toMatchObject({ status: 'verified', attempts: 2 });
  });

  it('pause holds every device at its next step; resume lets them finish', async () => {
    const { bench, call, slotsOf } = await setUp(3, { keygenDelayMs: 400 });
    await call('batch:start', { deviceType: 'nrf91-default' });
    await until(() => slotsOf('sim-1').some((s) => s.step === 'identified'));
    const paused = (await call('batch:pause')) as BatchState;
    expect(paused.status).toBe('paused');
    await until(() => ['sim-1', 'sim-2', 'sim-3'].every((p) => slotsOf(p).at(-1)?.status === 'paused'));
    const heldAt = ['sim-1', 'sim-2', 'sim-3'].map((p) => slotsOf(p).at(-1)!.step);
    await new Promise((r) => setTimeout(r, 800));
    // nothing moved while paused
    expect(['sim-1', 'sim-2', 'sim-3'].map((p) => slotsOf(p).at(-1)!.step)).toEqual(heldAt);
    await call('batch:resume');
    expect((await bench.finished()).map((o) => o.status)).toEqual(['verified', 'verified', 'verified']);
  });

  it('cancel stops every device; a retry resumes from the stored CSR instead of generating another', async () => {
    const { bench, modems, call, slotsOf } = await setUp(2, { keygenDelayMs: 50 });
    // Hold the first write long enough to cancel after the CSR and certificate are stored.
    for (const m of modems) m.inject('late-reply', /^AT%CMNG=0/);
    await call('batch:start', { deviceType: 'nrf91-default' });
    await until(() => ['sim-1', 'sim-2'].every((p) => slotsOf(p).some((s) => s.step === 'enrolled')));
    const cancelled = (await call('batch:cancel')) as BatchState;
    expect(['cancelling', 'cancelled']).toContain(cancelled.status);
    const outcomes = await bench.finished();
    expect(outcomes.map((o) => o.code)).toEqual(['DEVICE_CANCELLED', 'DEVICE_CANCELLED']);
    await call('batch:retry', {});
    const again = await bench.finished();
    expect(again.map((o) => o.status)).toEqual(['verified', 'verified']);
    for (const o of again) expect(auditCount('csr.generated', o.deviceId!)).toBe(1);
    expect(modems.map((m: InProcessModem) => m.current()!.store.get(16842753, 1)).every(Boolean)).toBe(true);
  });

  it('ends a device over its deadline with DEVICE_DEADLINE, and refuses a second batch while one runs', async () => {
    const { bench, call } = await setUp(1, { keygenDelayMs: 4000, deviceDeadlineMs: 1500 });
    await call('batch:start', { deviceType: 'nrf91-default' });
    await expect(call('batch:start', { deviceType: 'nrf91-default' })).rejects.toMatchObject({
      code: 'BATCH_ALREADY_RUNNING',
    });
    const [outcome] = await bench.finished();
    expect(outcome).toMatchObject({ status: 'failed', code: 'DEVICE_DEADLINE' });
  });

  it('asks for the station passphrase before a batch with the local CA', async () => {
    station = openTestStation();
    const { log } = fileLogger(tempDir());
    await station.ca.init({ passphrase: PASS });
    const bench = new Bench(
      station,
      simulatedSlots(inProcessModems(1, { dir: tempDir() })),
      { deviceChanged: () => undefined, batchProgress: () => undefined },
      log,
    );
    await expect(bench.start({ deviceType: 'nrf91-default' })).rejects.toMatchObject({
      code: 'CA_PASSPHRASE_REQUIRED',
    });
    await expect(bench.unlock('wrong passphrase')).rejects.toMatchObject({ code: 'CA_WRONG_PASSPHRASE' });
    expect(bench.caStatus()).toMatchObject({ initialized: true, unlocked: false });
    expect(await bench.unlock(PASS)).toMatchObject({ unlocked: true });
  });
});
