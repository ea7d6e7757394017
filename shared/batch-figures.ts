// The figures a shift lead reads off a batch: yield, pace, and what the failures were, grouped by
// reason. Pure, from the slots alone, so the bench, its end-of-batch summary and a report agree.
import type { SlotState } from './contract';

export interface FailureGroup {
  readonly code: string;
  readonly count: number;
  /** One device's sentence for it, as the technician saw it. */
  readonly example: string;
  readonly ports: readonly string[];
}

export interface BatchFigures {
  readonly passed: number;
  /** Of them, found already done (nothing issued). */
  readonly alreadyDone: number;
  readonly failed: number;
  readonly cancelled: number;
  readonly waiting: number;
  readonly toGo: number;
  /** Passed out of finished (passed + failed), in percent; undefined before any finished. */
  readonly yieldPercent: number | undefined;
  /** Median seconds from a device's start to its end, over the finished ones. */
  readonly secondsPerDevice: number | undefined;
  readonly failures: readonly FailureGroup[];
}

/** Passed out of finished (passed + failed), in percent; undefined before any finished. */
export function yieldPercent(passed: number, failed: number): number | undefined {
  return passed + failed > 0 ? (100 * passed) / (passed + failed) : undefined;
}

export function batchFigures(slots: readonly SlotState[]): BatchFigures {
  const count = (...statuses: SlotState['status'][]) => slots.filter((s) => statuses.includes(s.status)).length;
  const passed = count('verified');
  const failed = count('failed');
  const durations = slots
    .filter((s) => (s.status === 'verified' || s.status === 'failed') && s.startedAt && s.finishedAt)
    .map((s) => (Date.parse(s.finishedAt!) - Date.parse(s.startedAt!)) / 1000)
    .sort((a, b) => a - b);
  return {
    passed,
    alreadyDone: slots.filter((s) => s.status === 'verified' && s.code === 'DEVICE_ALREADY_ENROLLED').length,
    failed,
    cancelled: count('cancelled'),
    waiting: count('waiting'),
    toGo: count('queued', 'running', 'paused'),
    yieldPercent: yieldPercent(passed, failed),
    secondsPerDevice: durations.length > 0 ? durations[Math.floor(durations.length / 2)] : undefined,
    failures: failureGroups(slots),
  };
}

function failureGroups(slots: readonly SlotState[]): FailureGroup[] {
  const groups = new Map<string, { count: number; example: string; ports: string[] }>();
  for (const slot of slots) {
    if (slot.status !== 'failed') continue;
    const code = slot.code ?? 'UNKNOWN';
    const group = groups.get(code) ?? { count: 0, example: slot.message ?? '', ports: [] };
    group.count += 1;
    group.ports.push(slot.port);
    groups.set(code, group);
  }
  return [...groups].map(([code, g]) => ({ code, ...g })).sort((a, b) => b.count - a.count);
}
