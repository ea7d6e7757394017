// The counts a shift lead reads from two metres: large numbers with their word and mark (shape as
// well as colour), the yield so far, and the pace — devices per hour once a batch has run a
// minute, seconds per device before that (an hourly rate from ten seconds means nothing).
import { Group, Stack, Text } from '@mantine/core';
import { yieldPercent } from '../../../shared/batch-figures';
import type { BatchState } from '../../../shared/contract';

function Counter({ value, word, color, testId }: { value: number; word: string; color: string; testId: string }) {
  return (
    <Stack gap={0} align="center" miw={72} data-testid={testId}>
      <Text fz={30} fw={800} lh={1} c={`var(--mantine-color-${color}-text)`}>
        {value}
      </Text>
      <Text size="sm" fw={600}>
        {word}
      </Text>
    </Stack>
  );
}

export function pace(batch: BatchState, now = Date.now()): string | undefined {
  const finished = batch.counts.verified + batch.counts.failed + batch.counts.waiting;
  const end = batch.finishedAt ? Date.parse(batch.finishedAt) : now;
  const seconds = (end - Date.parse(batch.startedAt)) / 1000;
  if (finished === 0 || seconds <= 0) return undefined;
  if (seconds >= 60) return `${Math.round(batch.devicesPerHour).toLocaleString()} devices/h`;
  return `${(seconds / finished).toFixed(1)} s per device`;
}

export function BatchCounters({ batch }: { batch: BatchState }) {
  const { verified, failed, waiting, cancelled, running, paused, queued } = batch.counts;
  const percent = yieldPercent(verified, failed);
  const yieldText = percent === undefined ? 'no yield yet' : `${percent.toFixed(1)} % yield`;
  return (
    <Group gap="lg" data-testid="batch-counts" data-status={batch.status} align="flex-end">
      <Counter value={verified} word="✔ done" color="teal" testId="count-done" />
      <Counter value={failed} word="✘ failed" color="red" testId="count-failed" />
      <Counter value={waiting} word="… waiting" color="violet" testId="count-waiting" />
      {cancelled > 0 && <Counter value={cancelled} word="■ cancelled" color="gray" testId="count-cancelled" />}
      <Counter value={running + paused + queued} word="to go" color="blue" testId="count-to-go" />
      <Stack gap={0}>
        <Text fw={700} data-testid="batch-yield">
          {yieldText}
        </Text>
        <Text size="sm" c="dimmed" data-testid="batch-pace">
          {[pace(batch), batch.status].filter(Boolean).join(' · ')}
        </Text>
      </Stack>
    </Group>
  );
}
