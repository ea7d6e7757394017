// The shift lead's figures: yield over finished devices only, the median time per device, and
// failures grouped by reason, largest first.
import { describe, expect, it } from 'vitest';
import { batchFigures } from '../../../shared/batch-figures';
import type { SlotState } from '../../../shared/contract';

const at = (s: number) => new Date(Date.UTC(2026, 10, 29, 8, 0, s)).toISOString();
const slot = (port: string, status: SlotState['status'], extra: Partial<SlotState> = {}): SlotState => ({
  port,
  status,
  step: 'done',
  attempts: 1,
  ...extra,
});

describe('batch figures', () => {
  it('counts, yield, pace and failures by reason', () => {
    const figures = batchFigures([
      slot('a', 'verified', { startedAt: at(0), finishedAt: at(2) }),
      slot('b', 'verified', { startedAt: at(0), finishedAt: at(4), code: 'DEVICE_ALREADY_ENROLLED' }),
      slot('c', 'failed', { startedAt: at(0), finishedAt: at(10), code: 'DEVICE_DISCONNECTED', message: 'gone' }),
      slot('d', 'failed', { code: 'DEVICE_DISCONNECTED', message: 'gone too' }),
      slot('e', 'failed', { code: 'MODEM_FIRMWARE_TOO_OLD', message: 'old' }),
      slot('f', 'waiting'),
      slot('g', 'running'),
      slot('h', 'cancelled'),
    ]);
    expect(figures).toMatchObject({ passed: 2, alreadyDone: 1, failed: 3, cancelled: 1, waiting: 1, toGo: 1 });
    expect(figures.yieldPercent).toBe(40);
    expect(figures.secondsPerDevice).toBe(4); // median of 2, 4, 10
    expect(figures.failures).toEqual([
      { code: 'DEVICE_DISCONNECTED', count: 2, example: 'gone', ports: ['c', 'd'] },
      { code: 'MODEM_FIRMWARE_TOO_OLD', count: 1, example: 'old', ports: ['e'] },
    ]);
  });

  it('has no yield or pace before anything finished', () => {
    expect(batchFigures([slot('a', 'running')])).toMatchObject({
      yieldPercent: undefined,
      secondsPerDevice: undefined,
    });
  });
});
