// A 5xx is asked again a bounded number of times; anything else, and an abort, ends at once.
import { describe, expect, it } from 'vitest';
import { EnrollerError } from '../../../shared/errors';
import { throughHiccups } from '../../../main/enroll/hiccups';

function failing(codes: string[]) {
  let calls = 0;
  const ask = async () => {
    const code = codes[calls++];
    if (code) throw new EnrollerError(code as never, `failed with ${code}`);
    return 'issued';
  };
  return { ask, calls: () => calls };
}

describe('throughHiccups', () => {
  it('asks again after each server error while pauses remain, and reports each retry', async () => {
    const service = failing(['ENROLL_SERVER_ERROR', 'ENROLL_SERVER_ERROR']);
    const retries: number[] = [];
    await expect(
      throughHiccups(service.ask, { pausesMs: [1, 1], onRetry: (attempt) => retries.push(attempt) }),
    ).resolves.toBe('issued');
    expect(service.calls()).toBe(3);
    expect(retries).toEqual([1, 2]);
  });

  it('gives up with the last server error when the pauses run out', async () => {
    const service = failing(['ENROLL_SERVER_ERROR', 'ENROLL_SERVER_ERROR', 'ENROLL_SERVER_ERROR']);
    await expect(throughHiccups(service.ask, { pausesMs: [1, 1] })).rejects.toMatchObject({
      code: 'ENROLL_SERVER_ERROR',
    });
    expect(service.calls()).toBe(3);
  });

  it.each(['ENROLL_UNREACHABLE', 'ENROLL_TIMEOUT', 'ENROLL_REJECTED', 'SCEP_FAILURE'])(
    'does not ask again after %s',
    async (code) => {
      const service = failing([code]);
      await expect(throughHiccups(service.ask, { pausesMs: [1, 1] })).rejects.toMatchObject({ code });
      expect(service.calls()).toBe(1);
    },
  );

  it('does not ask again once the job was cancelled', async () => {
    const service = failing(['ENROLL_SERVER_ERROR']);
    const cancelled = new AbortController();
    cancelled.abort();
    await expect(throughHiccups(service.ask, { pausesMs: [60_000], signal: cancelled.signal })).rejects.toMatchObject({
      code: 'ENROLL_SERVER_ERROR',
    });
    expect(service.calls()).toBe(1);
  });

  it('a cancel cuts the pause short: the next attempt runs at once and meets the aborted signal', async () => {
    const service = failing(['ENROLL_SERVER_ERROR']);
    const cancel = new AbortController();
    setTimeout(() => cancel.abort(), 10);
    // The pause is a minute; the test's own limit (5 s) fails it if the cancel did not cut it short.
    await expect(throughHiccups(service.ask, { pausesMs: [60_000], signal: cancel.signal })).resolves.toBe('issued');
    expect(service.calls()).toBe(2);
  });
});
