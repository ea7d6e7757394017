// The contract is enforced at main's door: bad payloads get coded errors and main keeps serving.
import { afterEach, describe, expect, it } from 'vitest';
import { CONTRACT_VERSION, methodNames, methods } from '../../../shared/contract';
import { EnrollerError } from '../../../shared/errors';
import { createDispatch } from '../../../main/api/dispatch';
import { createStationService } from '../../../main/api/station-service';
import type { ContractService } from '../../../main/api/service';
import { Bench } from '../../../main/station/bench';
import { simulatedSlots } from '../../../main/station/slot-sources';
import type { Station } from '../../../main/station/station';
import { fileLogger, openTestStation, tempDir } from '../../helpers/station';

const caller = { transport: 'cli', session: 'test' } as const;
let station: Station | undefined;
afterEach(() => station?.close());

function realDispatch() {
  station = openTestStation();
  const { log } = fileLogger(tempDir());
  const bench = new Bench(
    station,
    simulatedSlots([]),
    { deviceChanged: () => undefined, batchProgress: () => undefined },
    log,
  );
  return createDispatch(createStationService(station, bench), log);
}

describe('contract dispatch', () => {
  it('answers station:info with values that match its schema', async () => {
    const dispatch = realDispatch();
    const result = await dispatch('station:info', {}, caller);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const info = methods['station:info'].response.parse(result.value);
    expect(info.contractVersion).toBe(CONTRACT_VERSION);
    expect(info.schemaVersion).toBeGreaterThan(0);
    expect(info.dataDir).toBe(station?.dataDir);
  });

  it.each([
    ['an unexpected field', { extra: 1 }],
    ['a string', 'hello'],
    ['a number', 42],
    ['an array', [1, 2]],
  ])('refuses %s with CONTRACT_INVALID_REQUEST and keeps serving', async (_label, payload) => {
    const dispatch = realDispatch();
    const bad = await dispatch('station:info', payload, caller);
    expect(bad).toMatchObject({ ok: false, error: { code: 'CONTRACT_INVALID_REQUEST' } });
    if (!bad.ok) expect(bad.error.details?.issues).toBeInstanceOf(Array);
    const good = await dispatch('station:info', {}, caller);
    expect(good.ok).toBe(true);
  });

  it("says what is wrong in the schema's words, field by field (the UI shows each at its field)", async () => {
    const dispatch = realDispatch();
    const bad = await dispatch('session:login', { pin: '12a' }, caller);
    expect(bad).toMatchObject({ ok: false, error: { code: 'CONTRACT_INVALID_REQUEST' } });
    if (bad.ok) return;
    expect(bad.error.message).toBe('Not accepted — pin: a PIN is 4 to 12 digits.');
    expect(bad.error.details?.issues).toEqual([{ path: 'pin', message: 'a PIN is 4 to 12 digits' }]);
  });

  it('refuses an unknown method by code, without echoing unbounded input', async () => {
    const dispatch = realDispatch();
    const result = await dispatch('x'.repeat(10_000), {}, caller);
    expect(result).toMatchObject({ ok: false, error: { code: 'CONTRACT_UNKNOWN_METHOD' } });
    if (!result.ok) expect(result.error.message.length).toBeLessThan(200);
  });

  it('passes a thrown EnrollerError through as data, and hides an unexpected one as INTERNAL', async () => {
    const { log, file } = fileLogger(tempDir());
    const throwing = (error: unknown): ContractService =>
      ({
        'station:info': () => {
          throw error;
        },
      }) as unknown as ContractService;
    const coded = await createDispatch(
      throwing(new EnrollerError('STATION_NOT_READY', 'not yet', { why: 'test' })),
      log,
    )('station:info', {}, caller);
    expect(coded).toEqual({
      ok: false,
      error: { code: 'STATION_NOT_READY', message: 'not yet', details: { why: 'test' } },
    });

    const unexpected = await createDispatch(throwing(new TypeError('secret internals')), log)(
      'station:info',
      {},
      caller,
    );
    expect(unexpected).toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
    if (!unexpected.ok) expect(unexpected.error.message).not.toContain('secret internals');
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(file, 'utf8')).toContain('secret internals');
  });

  it('refuses a handler answer that breaks the response schema', async () => {
    const broken = { 'station:info': () => ({ appVersion: 1 }) } as unknown as ContractService;
    const result = await createDispatch(broken, fileLogger(tempDir()).log)('station:info', {}, caller);
    expect(result).toMatchObject({ ok: false, error: { code: 'CONTRACT_INVALID_RESPONSE' } });
  });

  it('names every method domain:verb and gives each a request and response schema', () => {
    for (const name of methodNames) {
      expect(name).toMatch(/^[a-z]+(-[a-z]+)*:[a-z][a-zA-Z-]*$/);
      expect(methods[name].request.safeParse).toBeTypeOf('function');
      expect(methods[name].response.safeParse).toBeTypeOf('function');
    }
  });
});
