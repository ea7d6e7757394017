// What every device job does the same way, whatever the device: report each step it reaches,
// wait at each step's door (pause, cancel, deadline), and end — with the outcome the batch
// reports, or a failure recorded at the step it was attempting (an abort from the batch names
// itself better than the I/O error it caused).
import { isEnrollerError } from '../../../shared/errors';
import type { JobRow, JobStore, NewJob, Step } from '../../store/job-store';
import type { JobOutcome, JobProgress } from './nrf91-job';

export function outcome(port: string, deviceId: string | undefined, status: JobOutcome['status'], certSerial: string | null | undefined, issuer: string | null | undefined, code: string | undefined, message: string | undefined, petName?: string): JobOutcome {
  return { port, deviceId, ...(petName ? { petName } : {}), status, certSerial: certSerial ?? undefined, issuer: issuer ?? undefined, code, message };
}

export function failedOutcome(input: { jobs: JobStore; job: JobRow | undefined; newJob: NewJob; deviceId: string | undefined; attempting: Step; caught: unknown; signal?: AbortSignal | undefined; port: string; petName?: string | undefined }): JobOutcome {
  const reason: unknown = input.signal?.aborted ? input.signal.reason : undefined;
  const error = isEnrollerError(reason) ? reason : input.caught;
  const code = isEnrollerError(error) ? error.code : 'INTERNAL';
  const message = error instanceof Error ? error.message : String(error);
  if (input.job) input.jobs.fail(input.job.id, input.attempting, code, message);
  else input.jobs.failNew({ ...input.newJob, deviceId: input.deviceId }, input.attempting, code, message);
  return outcome(input.port, input.deviceId, 'failed', input.job?.certSerial, input.job?.certIssuer, code, message, input.petName);
}

export interface JobRunInput {
  readonly signal?: AbortSignal | undefined;
  readonly checkpoint?: ((step: Step) => Promise<void>) | undefined;
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

  /** Before a step's side effect: stop if aborted, wait while paused. */
  async enter(step: Step): Promise<void> {
    this.attempting = step;
    this.#input.signal?.throwIfAborted();
    await this.#input.checkpoint?.(step);
  }

  failed(jobs: JobStore, newJob: NewJob, caught: unknown, port: string): JobOutcome {
    return failedOutcome({ jobs, job: this.job, newJob, deviceId: this.deviceId, attempting: this.attempting, caught, signal: this.#input.signal, port, petName: this.petName });
  }
}
