// What every device job does the same way, whatever the device: report each step it reaches,
// wait at each step's door (pause, cancel, deadline), and end — with the outcome the batch
// reports, or a failure recorded at the step it was attempting (an abort from the batch names
// itself better than the I/O error it caused).
import { diskError } from '../../store/disk-errors';
import { isEnrollerError } from '../../../shared/errors';
import type { JobRow, JobStore, NewJob, Step } from '../../store/job-store';
import { outcome, type JobOutcome, type JobProgress } from './job-outcome';

export interface JobRunInput {
  readonly signal?: AbortSignal | undefined;
  readonly checkpoint?: ((step: Step) => Promise<void> | undefined) | undefined;
  readonly onProgress?: ((progress: JobProgress) => void) | undefined;
}

/** One job's progress as it runs: the row so far, the step being attempted, who the device is. */
export class JobRun {
  job: JobRow | undefined;
  attempting: Step = 'identified';
  deviceId: string | undefined;
  petName: string | undefined;
  readonly #input: JobRunInput;

  constructor(input: JobRunInput) {
    this.#input = input;
  }

  /** A step was committed: remember the row and tell the batch. */
  reached(next: JobRow): JobRow {
    this.job = next;
    this.#input.onProgress?.({ step: next.step, deviceId: next.deviceId ?? undefined, petName: this.petName });
    return next;
  }

  /** The link recovered on the way: the step stays, the tile says what happened. */
  recovered(words: string): void {
    const { deviceId, petName } = this;
    this.#input.onProgress?.({ step: this.attempting, deviceId, petName, recovery: words });
  }

  /** Before a step's side effect: stop if aborted, wait while paused. */
  async enter(step: Step): Promise<void> {
    this.attempting = step;
    this.#input.signal?.throwIfAborted();
    await this.#input.checkpoint?.(step);
  }

  /** Records the failure at the step attempted (on the job's row, or a new one) and reports it. */
  failed(jobs: JobStore, newJob: NewJob, caught: unknown, port: string): JobOutcome {
    const reason: unknown = this.#input.signal?.aborted ? this.#input.signal.reason : undefined;
    const error = diskError(isEnrollerError(reason) ? reason : caught, jobs.databaseFile);
    const code = isEnrollerError(error) ? error.code : 'INTERNAL';
    const message = error instanceof Error ? error.message : String(error);
    try {
      if (this.job) jobs.fail(this.job.id, this.attempting, code, message);
      else jobs.failNew({ ...newJob, deviceId: this.deviceId }, this.attempting, code, message);
    } catch (recording) {
      // A full or read-only disk cannot take the failure either: the job stays at its last
      // committed step, which is where the next run resumes it.
      if (diskError(recording, jobs.databaseFile) === recording) throw recording;
    }
    return outcome(
      port,
      this.deviceId,
      'failed',
      this.job?.certSerial,
      this.job?.certIssuer,
      code,
      message,
      this.petName,
    );
  }
}
