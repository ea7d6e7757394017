// How every device job ends, whatever the device: the outcome the batch reports, and a failure
// recorded on the job at the step it was attempting (an abort from the batch — cancel, deadline —
// names itself better than the I/O error it caused).
import { isEnrollerError } from '../../../shared/errors';
import type { JobRow, JobStore, NewJob, Step } from '../../store/job-store';
import type { JobOutcome } from './nrf91-job';

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
