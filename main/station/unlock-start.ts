// When a CLI batch starts decrypting the station CA's key (#18). PBKDF2 with 600,000 iterations
// holds one core for about a quarter of a second. Started with the batch, it takes that core from
// the devices being identified (the station's own thread, the serial links' processes) and every
// device's key generation starts later; started once each device is making its key — an nRF91's
// AT%KEYGEN takes ~1.5 s with nothing for the station to do — it costs the batch nothing. Anything
// that needs the CA before then (a device whose CSR was stored on an earlier run) starts it at once,
// so nothing ever waits for a start that would not come.
import { JobStep, SLOT_ENDED, type SlotState } from '../../shared/contract/batch';

/** The key step and every step after it, in the flow's order. */
const MAKING_ITS_KEY_OR_LATER: ReadonlySet<SlotState['step']> = new Set(
  JobStep.options.slice(JobStep.options.indexOf('csr')),
);

export class UnlockStart {
  #go!: () => void;
  /** Settles when the unlock may start. */
  readonly given = new Promise<void>((resolve) => (this.#go = resolve));

  /** Start now (again: no effect). */
  now(): void {
    this.#go();
  }

  /** Starts it once every device of the batch is making its key or has ended. */
  batchChanged(slots: readonly Pick<SlotState, 'status' | 'step'>[]): void {
    if (slots.every((slot) => SLOT_ENDED.has(slot.status) || MAKING_ITS_KEY_OR_LATER.has(slot.step))) this.now();
  }
}
