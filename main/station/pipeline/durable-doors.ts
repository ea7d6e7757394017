// A run whose commits are made durable in groups (store/wal-sync.ts) waits for the disk only at the
// doors of steps that act outside the station (ACTS_OUTSIDE): a key replaced, a service asked, a
// device written never runs ahead of what it follows. Doors that only read a device, or only
// commit, do not wait — on sixteen ports each such wait held a device for syncs nothing needed (#18).
import { ACTS_OUTSIDE, type Step } from '../../store/job-store';
import type { JobInput } from './device-adapter';

/** Makes every commit before the call durable (store/wal-sync.ts). */
export interface Durability {
  durable(): Promise<void>;
}

/** The batch's door for each step, behind a wait for the disk where the step acts outside. */
export function durableDoors(
  durability: Durability,
  checkpoint: JobInput['checkpoint'],
): (step: Step) => Promise<void> {
  return async (step: Step) => {
    if (ACTS_OUTSIDE.has(step)) await durability.durable();
    await checkpoint?.(step);
  };
}
