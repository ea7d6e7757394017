// A service that answers one request with a 5xx is busy, not gone. Real ones do it under load:
// micromdm's scepserver 2.1.0 races its own serial file when two requests sign at once, and an
// EST front end answers 503 while its CA is slow. Ask again a moment later before a device is
// sent down the offline path (a birth certificate and a queue item, or a wait) for a hiccup.
import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { isEnrollerError, type EnrollerError } from '../../shared/errors';

/** Pauses before the second and third attempt; each is stretched or shrunk by up to a quarter. */
export const HICCUP_PAUSES_MS: readonly number[] = [400, 1_600];

/**
 * Runs `ask` until it succeeds, fails with anything but a server error, or the pauses run out.
 * Unreachable services and timeouts are not asked again here: the first is an outage, and the
 * second has already waited its full time.
 */
export async function throughHiccups<T>(
  ask: () => Promise<T>,
  options: {
    signal?: AbortSignal | undefined;
    pausesMs?: readonly number[];
    onRetry?: (attempt: number, error: EnrollerError) => void;
  } = {},
): Promise<T> {
  const pauses = options.pausesMs ?? HICCUP_PAUSES_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      return await ask();
    } catch (error) {
      const pause = pauses[attempt];
      if (pause === undefined || !isEnrollerError(error) || error.code !== 'ENROLL_SERVER_ERROR') throw error;
      if (options.signal?.aborted) throw error;
      options.onRetry?.(attempt + 1, error);
      // An abort ends the pause early; the next attempt then fails on the aborted signal as it should.
      await sleep((pause * randomInt(750, 1250)) / 1000, undefined, withSignal(options.signal)).catch(() => undefined);
    }
  }
}

function withSignal(signal: AbortSignal | undefined): { signal?: AbortSignal } {
  return signal ? { signal } : {};
}
