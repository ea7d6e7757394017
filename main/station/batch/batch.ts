// A batch: one job per port, all ports at once, each with its own deadline and cancel. A failure
// on one port never touches the others. Pause holds every device at its next step boundary (a
// write in progress finishes first); cancel aborts them; retry runs failed ones again, resuming
// from their last durable step. State changes go out as events for the UI and the CLI.
import { EnrollerError } from '../../../shared/errors';
import type { BatchState, SlotState } from '../../../shared/contract/batch';
import type { Step } from '../../store/job-store';
import type { JobOutcome, JobProgress } from '../pipeline/job-outcome';

export interface DeviceRun {
  readonly signal: AbortSignal;
  readonly checkpoint: (step: Step) => Promise<void>;
  readonly onProgress: (progress: JobProgress) => void;
}

export type RunDevice = (port: string, run: DeviceRun) => Promise<JobOutcome>;

export interface BatchOptions {
  readonly id: string;
  readonly deviceType: string;
  readonly profile: string;
  readonly ports: readonly string[];
  readonly runDevice: RunDevice;
  /** The most one device may take, from plug to verified. */
  readonly deviceDeadlineMs: number;
  readonly onDevice?: (slot: SlotState) => void;
  readonly onProgress?: (batch: BatchState) => void;
}

type MutableSlot = { -readonly [K in keyof SlotState]: SlotState[K] } & { outcome?: JobOutcome };

export class Batch {
  readonly id: string;
  readonly #options: BatchOptions;
  readonly #slots = new Map<string, MutableSlot>();
  readonly #controllers = new Map<string, AbortController>();
  readonly #running = new Map<string, Promise<JobOutcome>>();
  readonly #startedAt = new Date();
  #finishedAt: Date | undefined;
  #paused = false;
  #cancelled = false;
  #resumeWaiters: Array<() => void> = [];

  constructor(options: BatchOptions) {
    this.id = options.id;
    this.#options = options;
    for (const port of new Set(options.ports))
      this.#slots.set(port, { port, status: 'queued', step: 'detected', attempts: 0 });
  }

  /** Runs every slot; resolves with each port's outcome when all have finished. */
  async run(): Promise<JobOutcome[]> {
    this.#emitProgress();
    await Promise.all([...this.#slots.keys()].map((port) => this.#runSlot(port)));
    return this.outcomes();
  }

  /** Runs the failed and cancelled slots again (or the given ones); resolves when they finish. */
  async retry(ports?: readonly string[]): Promise<JobOutcome[]> {
    const chosen = (ports ?? [...this.#slots.keys()]).filter((p) => {
      const slot = this.#slots.get(p);
      return slot && (slot.status === 'failed' || slot.status === 'cancelled');
    });
    this.#cancelled = false;
    this.#finishedAt = undefined;
    await Promise.all(chosen.map((port) => this.#runSlot(port)));
    return this.outcomes();
  }

  pause(): void {
    if (this.#cancelled || this.#finishedAt) throw new EnrollerError('BATCH_NOT_RUNNING', 'The batch is not running.');
    this.#paused = true;
    this.#emitProgress();
  }

  resume(): void {
    this.#paused = false;
    for (const wake of this.#resumeWaiters.splice(0)) wake();
    this.#emitProgress();
  }

  /** Stops every device; `why` (a failed CA unlock, a full disk) is what each stopped device reports. */
  cancel(why?: EnrollerError): void {
    this.#cancelled = true;
    const reason =
      why ??
      new EnrollerError(
        'DEVICE_CANCELLED',
        'Cancelled by the operator; the device resumes from its last completed step when run again.',
      );
    for (const controller of this.#controllers.values()) controller.abort(reason);
    this.resume(); // paused devices wake up to see the cancel
  }

  state(): BatchState {
    const counts = { queued: 0, running: 0, paused: 0, verified: 0, waiting: 0, failed: 0, cancelled: 0 };
    for (const slot of this.#slots.values()) counts[slot.status] += 1;
    const active = counts.queued + counts.running + counts.paused > 0;
    const end = this.#finishedAt ?? new Date();
    const hours = Math.max((end.getTime() - this.#startedAt.getTime()) / 3_600_000, 1 / 3_600_000);
    return {
      id: this.id,
      deviceType: this.#options.deviceType,
      profile: this.#options.profile,
      status:
        this.#cancelled && active
          ? 'cancelling'
          : this.#cancelled
            ? 'cancelled'
            : !active
              ? 'finished'
              : this.#paused
                ? 'paused'
                : 'running',
      total: this.#slots.size,
      counts,
      startedAt: this.#startedAt.toISOString(),
      ...(this.#finishedAt ? { finishedAt: this.#finishedAt.toISOString() } : {}),
      devicesPerHour: Math.round(counts.verified / hours),
    };
  }

  slots(): SlotState[] {
    return [...this.#slots.values()].map((s) => ({ ...s }));
  }

  async #runSlot(port: string): Promise<void> {
    const slot = this.#slots.get(port)!;
    if (this.#cancelled) {
      return this.#update(slot, {
        status: 'cancelled',
        code: 'DEVICE_CANCELLED',
        message: 'Cancelled before it started.',
      });
    }
    const controller = new AbortController();
    this.#controllers.set(port, controller);
    const seconds = Math.round(this.#options.deviceDeadlineMs / 1000);
    const late = `The device did not finish within ${seconds} s; it resumes from its last completed step when retried.`;
    const deadline = setTimeout(
      () => controller.abort(new EnrollerError('DEVICE_DEADLINE', late)),
      this.#options.deviceDeadlineMs,
    );
    const started = { status: 'running', attempts: slot.attempts + 1, startedAt: new Date().toISOString() } as const;
    const cleared = {
      code: undefined,
      message: undefined,
      finishedAt: undefined,
      recoveries: undefined,
      label: undefined,
    };
    this.#update(slot, { ...started, ...cleared });
    const running = this.#options
      .runDevice(port, {
        signal: controller.signal,
        checkpoint: this.#doorOf(slot, controller.signal),
        onProgress: this.#progressOf(slot),
      })
      .catch((error: unknown): JobOutcome => ({
        port,
        deviceId: slot.deviceId,
        status: 'failed',
        certSerial: undefined,
        issuer: undefined,
        code: error instanceof EnrollerError ? error.code : 'INTERNAL',
        message: String((error as Error)?.message ?? error),
      }));
    this.#running.set(port, running);
    const result = await running;
    clearTimeout(deadline);
    this.#controllers.delete(port);
    this.#ended(slot, result);
  }

  /** A step's door: the slot shows the step being worked on as soon as it starts, and where a pause holds it. */
  #doorOf(slot: MutableSlot, signal: AbortSignal): (step: Step) => Promise<void> {
    return async (step) => {
      while (this.#paused && !signal.aborted) {
        this.#update(slot, { status: 'paused', step });
        await new Promise<void>((wake) => this.#resumeWaiters.push(wake));
      }
      signal.throwIfAborted();
      this.#update(slot, { status: 'running', step });
    };
  }

  #progressOf(slot: MutableSlot): (progress: JobProgress) => void {
    return (progress) =>
      this.#update(slot, {
        step: progress.step,
        ...(progress.deviceId ? { deviceId: progress.deviceId } : {}),
        ...(progress.petName ? { petName: progress.petName } : {}),
        ...(progress.recovery ? { recoveries: [...(slot.recoveries ?? []), progress.recovery] } : {}),
      });
  }

  #ended(slot: MutableSlot, result: JobOutcome): void {
    const status = result.status === 'failed' && result.code === 'DEVICE_CANCELLED' ? 'cancelled' : result.status;
    this.#update(slot, {
      status,
      ...(result.deviceId ? { deviceId: result.deviceId } : {}),
      ...(result.petName ? { petName: result.petName } : {}),
      code: result.code,
      message: result.message,
      certSerial: result.certSerial,
      issuer: result.issuer,
      label: result.label,
      finishedAt: new Date().toISOString(),
      outcome: result,
    });
    const open = [...this.#slots.values()].some(
      (s) => s.status === 'queued' || s.status === 'running' || s.status === 'paused',
    );
    if (!open) {
      this.#finishedAt = new Date();
      this.#emitProgress();
    }
  }

  /** Each slot's latest outcome (a slot never run reads as not run). */
  outcomes(): JobOutcome[] {
    return [...this.#slots.values()].map(
      (s) =>
        s.outcome ?? {
          port: s.port,
          deviceId: s.deviceId,
          status: 'failed',
          certSerial: undefined,
          issuer: undefined,
          code: s.code ?? 'DEVICE_CANCELLED',
          message: s.message ?? 'Not run.',
        },
    );
  }

  #update(slot: MutableSlot, change: Partial<MutableSlot>): void {
    for (const [key, value] of Object.entries(change)) {
      if (value === undefined) delete (slot as Record<string, unknown>)[key];
      else (slot as Record<string, unknown>)[key] = value;
    }
    const { outcome: _outcome, ...visible } = slot;
    this.#options.onDevice?.({ ...visible });
    this.#emitProgress();
  }

  #emitProgress(): void {
    this.#options.onProgress?.(this.state());
  }
}
