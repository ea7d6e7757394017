// At the end of a batch, what happened in one box: passed, failed grouped by reason (with the
// sentence a technician saw and the ports), waiting, time per device.
import { Alert, List, Text } from '@mantine/core';
import { batchFigures } from '../../../shared/batch-figures';
import type { BatchState, SlotState } from '../../../shared/contract';
import { portLabel } from './SlotTile';

export function BatchSummary({ batch, slots }: { batch: BatchState; slots: readonly SlotState[] }) {
  if (batch.status !== 'finished' && batch.status !== 'cancelled') return null;
  const f = batchFigures(slots);
  const parts = [
    `${f.passed} passed${f.alreadyDone ? ` (${f.alreadyDone} already done)` : ''}`,
    `${f.failed} failed`,
    `${f.waiting} waiting for a certificate`,
    ...(f.cancelled ? [`${f.cancelled} cancelled`] : []),
    ...(f.yieldPercent !== undefined ? [`yield ${f.yieldPercent.toFixed(1)} %`] : []),
    ...(f.secondsPerDevice !== undefined ? [`${f.secondsPerDevice.toFixed(1)} s per device`] : []),
  ];
  return (
    <Alert
      color={f.failed > 0 ? 'red' : 'teal'}
      title={batch.status === 'cancelled' ? 'Batch cancelled' : 'Batch finished'}
      data-testid="batch-summary"
      role="status"
      styles={{ title: { color: 'var(--mantine-color-text)', fontSize: 'var(--mantine-font-size-lg)' } }}
    >
      <Text fw={600}>{parts.join(' · ')}</Text>
      {f.failures.length > 0 && (
        <List size="sm" mt="xs" data-testid="batch-failures">
          {f.failures.map((g) => (
            <List.Item key={g.code} data-code={g.code}>
              {g.count} × {g.example} ({g.code}; {g.ports.map(portLabel).join(', ')})
            </List.Item>
          ))}
        </List>
      )}
    </Alert>
  );
}
