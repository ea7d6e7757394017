// One port of the bench: which device, which step, how long, and a result a technician can read
// from across the room — shape and word as well as colour (colour-blind safe).
import { Badge, Button, Card, Group, Progress, Stack, Text } from '@mantine/core';
import { memo, useEffect, useState } from 'react';
import type { SlotState } from '../../../shared/contract';
import { stepLabel, stepProgress } from './steps';

const RESULT: Record<SlotState['status'], { label: string; mark: string; color: string }> = {
  queued: { label: 'Ready', mark: '○', color: 'gray' },
  running: { label: 'Working', mark: '◐', color: 'blue' },
  paused: { label: 'Paused', mark: '‖', color: 'yellow' },
  verified: { label: 'Done', mark: '✔', color: 'teal' },
  waiting: { label: 'Waiting for certificate', mark: '…', color: 'violet' },
  failed: { label: 'Failed', mark: '✘', color: 'red' },
  cancelled: { label: 'Cancelled', mark: '■', color: 'gray' },
};

/** A TPM slot is named by its TCTI; the tile shows "TPM" and the device or socket name. */
export function portLabel(port: string): string {
  const tpm = /^(?:swtpm:path=.*\/|swtpm:host=|device:\/dev\/|tabrmd)(.*)$/.exec(port);
  return tpm ? `TPM ${tpm[1] || ''}`.trim() : port;
}

function elapsed(slot: SlotState, now: number): string {
  if (!slot.startedAt) return '';
  const end = slot.finishedAt ? Date.parse(slot.finishedAt) : now;
  return `${((end - Date.parse(slot.startedAt)) / 1000).toFixed(1)} s`;
}

/** Memoised: a batch event re-renders only the tile whose slot changed. */
export const SlotTile = memo(function SlotTile({
  slot,
  onRetry,
}: {
  slot: SlotState;
  onRetry?: ((port: string) => void) | undefined;
}) {
  const [now, setNow] = useState(Date.now());
  const active = slot.status === 'running' || slot.status === 'paused';
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(timer);
  }, [active]);
  const result = RESULT[slot.status];
  return (
    <Card
      withBorder
      padding="sm"
      radius="md"
      data-testid="slot"
      data-port={slot.port}
      data-status={slot.status}
      data-step={slot.step}
      aria-label={`${slot.port}: ${result.label}`}
    >
      <Stack gap={6}>
        <Group justify="space-between" wrap="nowrap">
          <Text fw={600} size="sm" truncate title={slot.port} style={{ flex: 1, minWidth: 0 }}>
            {portLabel(slot.port)}
          </Text>
          <Badge
            style={{ flexShrink: 0 }}
            size="lg"
            color={result.color}
            variant={slot.status === 'verified' || slot.status === 'failed' ? 'filled' : 'light'}
            data-testid="slot-result"
          >
            {result.mark} {result.label}
          </Badge>
        </Group>
        <Text size="sm" ff="monospace" data-testid="slot-device" {...(slot.deviceId ? {} : { c: 'dimmed' })}>
          {slot.deviceId ?? 'no device identified yet'}
        </Text>
        {slot.petName && (
          <Text size="lg" fw={700} data-testid="slot-pet-name">
            {slot.petName}
          </Text>
        )}
        {slot.serial && (
          <Text size="xs" c="dimmed" data-testid="slot-serial">
            S/N {slot.serial}
          </Text>
        )}
        {slot.expectedImei && (
          <Text size="xs" c="dimmed" data-testid="slot-label">
            label IMEI {slot.expectedImei}
          </Text>
        )}
        <Progress value={stepProgress(slot)} color={result.color} size="sm" aria-label="progress" />
        <Group justify="space-between">
          <Text size="xs" c="dimmed" data-testid="slot-step">
            {stepLabel(slot)}
          </Text>
          <Text size="xs" c="dimmed">
            {elapsed(slot, now)}
          </Text>
        </Group>
        {slot.recoveries && slot.recoveries.length > 0 && (
          <Text
            size="xs"
            fw={500}
            data-testid="slot-recovery"
            title={slot.recoveries.join('\n')}
            aria-label={`Recovered ${slot.recoveries.length} times: ${slot.recoveries.join('; ')}`}
          >
            ↻ {slot.recoveries.at(-1)}
            {slot.recoveries.length > 1 ? ` (+${slot.recoveries.length - 1} more)` : ''}
          </Text>
        )}
        {slot.certSerial && slot.status === 'verified' && (
          <Text size="xs" ff="monospace" c="dimmed" truncate>
            serial {slot.certSerial}
          </Text>
        )}
        {slot.status === 'verified' && slot.code && (
          <Text size="xs" c="dimmed" data-testid="slot-note" data-code={slot.code}>
            {slot.message}
          </Text>
        )}
        {(slot.status === 'failed' || slot.status === 'cancelled') && (
          <>
            <Text size="sm" c="red" data-testid="slot-reason" data-code={slot.code}>
              {slot.message}
            </Text>
            {onRetry && (
              <Button size="xs" variant="light" onClick={() => onRetry(slot.port)}>
                Retry
              </Button>
            )}
          </>
        )}
      </Stack>
    </Card>
  );
});
