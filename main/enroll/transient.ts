// Which enrollment failures mean "the service is not there right now" (queue it and try again
// later) rather than "the service said no" (a coded failure for the operator).
const TRANSIENT = new Set(['ENROLL_UNREACHABLE', 'ENROLL_TIMEOUT', 'ENROLL_SERVER_ERROR']);

export function isTransient(code: string): boolean {
  return TRANSIENT.has(code);
}

/** Exponential backoff for a queued request: 15 s, 30 s, 1 min … capped at 1 h. */
export function backoffMs(attempts: number): number {
  return Math.min(15_000 * 2 ** Math.max(0, attempts), 3_600_000);
}
