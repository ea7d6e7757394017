// The sync worker in a running station (Electron or browser mode): every interval it tries the
// queue items that are due — each keeps its own backoff, so an unreachable service is asked
// rarely — and reports what changed. One round at a time; stop() waits for the current one.
import type { Logger } from '../../log';
import type { Station } from '../station';
import { syncQueue, type SyncOutcome } from './queue-sync';

export interface SyncWorker {
  /** Runs one round now (an operator's "sync now"): every open item, ignoring backoff. */
  syncNow(): Promise<SyncOutcome[]>;
  stop(): Promise<void>;
}

export function startSyncWorker(
  station: Station,
  options: {
    intervalMs: number;
    passphrase: () => string | undefined;
    log: Logger;
    onChange: (outcomes: SyncOutcome[]) => void;
  },
): SyncWorker {
  let running: Promise<SyncOutcome[]> | undefined;
  let stopped = false;
  const round = (force: boolean) => {
    running ??= syncQueue(station, { passphrase: options.passphrase(), force, actor: 'sync-worker' })
      .then((outcomes) => {
        if (outcomes.length > 0) options.onChange(outcomes);
        return outcomes;
      })
      .catch((error: unknown) => {
        options.log.warn({ err: error }, 'queue sync round failed');
        return [];
      })
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  const timer = setInterval(() => {
    if (!stopped) void round(false);
  }, options.intervalMs);
  timer.unref();
  return {
    syncNow: () => round(true),
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
