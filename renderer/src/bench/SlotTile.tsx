// One port of the bench: which device, which step, how long, and a result a technician can read
// from two metres — a large mark and word, shape as well as colour (colour-blind safe).
import { Button, Card, Group, Progress, Stack, Text } from '@mantine/core';
import { memo, useEffect, useRef, useState } from 'react';
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

const LABEL_WORDS: Record<NonNullable<SlotState['label']>, string> = {
  printed: '🏷 label printed',
  failed: '🏷 label not printed — check the printer (see Audit)',
};

/** A rerun that found the device done: green, but not a new enrollment. */
const ALREADY_DONE = { label: 'Already done', mark: '✔', color: 'teal' };
/** After a restore: done before, recognised by the certificate it holds. */
const RECOGNISED = { label: 'Recognised', mark: '✔', color: 'teal' };

function resultOf(slot: SlotState, pausing: boolean): { label: string; mark: string; color: string } {
  if (slot.status === 'verified' && slot.code === 'DEVICE_ALREADY_ENROLLED') return ALREADY_DONE;
  if (slot.status === 'verified' && slot.code === 'DEVICE_RECOGNISED') return RECOGNISED;
  if (slot.status === 'running' && pausing) return { label: 'Pausing…', mark: '‖', color: 'yellow' };
  return RESULT[slot.status];
}

/** Time on this device: from its start to its end, or to now (held still while it is paused). */
function elapsed(slot: SlotState, now: number): string {
  if (!slot.startedAt) return '';
  const end = slot.finishedAt ? Date.parse(slot.finishedAt) : now;
  return `${(Math.max(0, end - Date.parse(slot.startedAt)) / 1000).toFixed(1)} s`;
}

/** The clock a tile shows: ticking while the device works, frozen from the moment it is paused. */
function useTileClock(slot: SlotState): number {
  const [, tick] = useState(0);
  const frozenAt = useRef<number | null>(null);
  const running = slot.status === 'running';
  if (slot.status === 'paused') frozenAt.current ??= Date.now();
  else frozenAt.current = null;
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => tick((n) => n + 1), 250);
    return () => clearInterval(timer);
  }, [running]);
  // Read at render time, never from when the tile was first drawn (that gave negative times).
  return frozenAt.current ?? Date.now();
}

function deviceLine(slot: SlotState): string {
  if (slot.deviceId) return slot.deviceId;
  const finished = slot.status === 'failed' || slot.status === 'cancelled';
  return finished ? 'no device ID — see the reason below' : 'no device identified yet';
}

/** Memoised: a batch event re-renders only the tile whose slot changed. */
export const SlotTile = memo(function SlotTile({
  slot,
  onRetry,
  pausing = false,
}: {
  slot: SlotState;
  onRetry?: ((port: string) => void) | undefined;
  /** The batch is paused: a device still working stops at its next step. */
  pausing?: boolean;
}) {
  const now = useTileClock(slot);
  const result = resultOf(slot, pausing);
  const finished = slot.status === 'verified' || slot.status === 'failed';
  const label = `${portLabel(slot.port)}: ${result.label}`;
  return (
    <Card
      withBorder
      padding="sm"
      radius="md"
      data-testid="slot"
      data-port={slot.port}
      data-status={slot.status}
      data-step={slot.step}
      aria-label={label}
    >
      <Stack gap={6}>
        <Group justify="space-between" wrap="nowrap">
          <Text fw={600} size="sm" truncate title={slot.port} style={{ flex: 1, minWidth: 0 }}>
            {portLabel(slot.port)}
          </Text>
        </Group>
        <Text
          data-testid="slot-result"
          fz={26}
          fw={800}
          lh={1.1}
          {...(finished ? { c: `var(--mantine-color-${result.color}-text)` } : {})}
          className={`slot-result slot-result-${slot.status}`}
        >
          {result.mark} {result.label}
        </Text>
        <Text size="sm" ff="monospace" data-testid="slot-device" {...(slot.deviceId ? {} : { c: 'dimmed' })}>
          {deviceLine(slot)}
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
        {slot.label && (
          <Text size="xs" fw={500} data-testid="slot-label-print" data-label={slot.label}>
            {LABEL_WORDS[slot.label]}
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
