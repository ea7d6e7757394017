// A CLI batch unlocks the station CA while its devices make their keys, not while they are
// identified (station/unlock-start.ts, #18) — and a device that needs the CA sooner never waits
// for a device that is slow to answer. Simulated modems in-process, the real CA and database.
import crypto from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { SlotState } from '../../../shared/contract';
import type { EnrollerError } from '../../../shared/errors';
import { inProcessModems } from '../../../main/devices/nrf91-sim/memory-host';
import { Bench } from '../../../main/station/bench';
import { simulatedSlots } from '../../../main/station/slot-sources';
import type { Station } from '../../../main/station/station';
import { fileLogger, openTestStation, tempDir, until } from '../../helpers/station';

const PASS = 'unlock start passphrase';
let station: Station | undefined;
afterEach(() => station?.close());

/** A bench on a station whose CA is made but not unlocked, as a CLI run finds it. */
async function lockedBench(count: number) {
  station = openTestStation();
  await station.ca.init({ passphrase: PASS });
  const modems = inProcessModems(count, { dir: tempDir(), keygenDelayMs: 50, seedPrefix: crypto.randomUUID() });
  const slots: SlotState[] = [];
  const events = { deviceChanged: (slot: SlotState) => slots.push(slot), batchProgress: () => undefined };
  const bench = new Bench(station, simulatedSlots(modems), events, fileLogger(tempDir()).log);
  const stepOf = (port: string) => slots.filter((s) => s.port === port).at(-1)?.step;
  return { bench, modems, stepOf };
}

/**
 * A CLI batch on `count` modems, the CA to be unlocked once their keys are being made. Modem `slow`
 * takes 1.5 s to give its firmware version: its device is being identified all that time.
 */
async function startedWithSlowModem(count: number, slow: number) {
  const locked = await lockedBench(count);
  locked.modems[slow]!.inject('slow', /^AT\+CGMR/);
  const unlocked = locked.bench.unlock(PASS, 'cli', { start: 'once-keys-are-made' });
  await locked.bench.start({ deviceType: 'nrf91-default', profile: 'local' });
  return { ...locked, unlocked };
}

const unlockedRecords = () =>
  station!.db.prepare<[], { n: number }>("SELECT count(*) AS n FROM audit_log WHERE action = 'ca.unlocked'").get()!.n;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('unlocking the CA during a CLI batch', () => {
  it('starts once the devices are making their keys, not while one is still identified', async () => {
    const { bench, stepOf, unlocked } = await startedWithSlowModem(1, 0);
    await until(() => stepOf('sim-1') === 'identified');
    // Long enough for PBKDF2 to have finished, had it started with the batch.
    await sleep(900);
    expect(stepOf('sim-1')).toBe('identified');
    expect(unlockedRecords()).toBe(0);
    const [outcome] = await bench.finished();
    expect(outcome).toMatchObject({ status: 'verified' });
    await expect(unlocked).resolves.toMatchObject({ unlocked: true });
    expect(unlockedRecords()).toBe(1);
  });

  it('starts at once for a device that needs the CA while another is still identified', async () => {
    const { bench, stepOf, unlocked } = await startedWithSlowModem(2, 1);
    await until(() => stepOf('sim-1') === 'done');
    expect(stepOf('sim-2')).toBe('identified');
    expect((await bench.finished()).map((o) => o.status)).toEqual(['verified', 'verified']);
    await expect(unlocked).resolves.toMatchObject({ unlocked: true });
  });

  it('a wrong passphrase fails the devices with its code; a run with the right one verifies them', async () => {
    const { bench, modems } = await lockedBench(2);
    const refused = bench.unlock('not the passphrase', 'cli', { start: 'once-keys-are-made' });
    refused.catch((error: unknown) => bench.cancel(error as EnrollerError));
    await bench.start({ deviceType: 'nrf91-default', profile: 'local' });
    const outcomes = await bench.finished();
    await expect(refused).rejects.toMatchObject({ code: 'CA_WRONG_PASSPHRASE' });
    expect(outcomes.map((o) => o.code)).toEqual(['CA_WRONG_PASSPHRASE', 'CA_WRONG_PASSPHRASE']);
    const again = new Bench(
      station!,
      simulatedSlots(modems),
      { deviceChanged: () => undefined, batchProgress: () => undefined },
      fileLogger(tempDir()).log,
    );
    void again.unlock(PASS, 'cli', { start: 'once-keys-are-made' });
    await again.start({ deviceType: 'nrf91-default', profile: 'local' });
    expect((await again.finished()).map((o) => o.status)).toEqual(['verified', 'verified']);
  });
});
