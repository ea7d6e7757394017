// The batch header: what to run (device type, profile), the controls, and the counts and
// throughput a shift lead looks at.
import { Alert, Badge, Button, Group, Select, Text } from '@mantine/core';
import { useEffect, useState } from 'react';
import type { BatchState, EnrollerApi } from '../../../shared/contract';
import { problemOf } from '../lib/errors';

export function BatchBar({ api, batch }: { api: EnrollerApi; batch: BatchState | null }) {
  const [types, setTypes] = useState<string[]>([]);
  const [profiles, setProfiles] = useState<string[]>([]);
  const [deviceType, setDeviceType] = useState<string | null>('nrf91-default');
  const [profile, setProfile] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    void api['device-type:list']({}).then((list) =>
      setTypes(list.filter((t) => t.device !== 'csr-file').map((t) => t.name)),
    );
    void api['profile:list']({}).then((list) => setProfiles(list.map((p) => p.name)));
  }, [api]);

  const run = (action: () => Promise<unknown>) => () => {
    setError(null);
    action().catch((e: unknown) => setError(problemOf(e).message));
  };
  const active =
    batch !== null && (batch.status === 'running' || batch.status === 'paused' || batch.status === 'cancelling');
  const failed = batch ? batch.counts.failed + batch.counts.cancelled : 0;

  return (
    <Group justify="space-between" align="flex-end" wrap="wrap" gap="sm">
      <Group align="flex-end" gap="sm">
        <Select
          label="Device type"
          data={types}
          value={deviceType}
          onChange={setDeviceType}
          disabled={active}
          w={200}
          allowDeselect={false}
        />
        <Select
          label="Profile"
          placeholder="device type's"
          data={profiles}
          value={profile}
          onChange={setProfile}
          disabled={active}
          w={160}
          clearable
        />
        {!active && (
          <Button
            onClick={run(() =>
              api['batch:start']({ deviceType: deviceType ?? 'nrf91-default', ...(profile ? { profile } : {}) }),
            )}
            disabled={!deviceType}
          >
            Start batch
          </Button>
        )}
        {active && batch.status === 'running' && (
          <Button variant="default" onClick={run(() => api['batch:pause']({}))}>
            Pause
          </Button>
        )}
        {active && batch.status === 'paused' && <Button onClick={run(() => api['batch:resume']({}))}>Resume</Button>}
        {active && (
          <Button color="red" variant="light" onClick={run(() => api['batch:cancel']({}))}>
            Cancel
          </Button>
        )}
        {failed > 0 && (
          <Button variant="light" onClick={run(() => api['batch:retry']({}))}>
            Retry failed ({failed})
          </Button>
        )}
      </Group>
      {batch && (
        <Group gap="xs" data-testid="batch-counts" data-status={batch.status}>
          <Badge color="teal" size="lg">
            ✔ {batch.counts.verified} done
          </Badge>
          <Badge color="red" size="lg">
            ✘ {batch.counts.failed} failed
          </Badge>
          <Badge color="violet" size="lg">
            … {batch.counts.waiting} waiting
          </Badge>
          <Badge color="blue" size="lg" variant="light">
            {batch.counts.running + batch.counts.paused + batch.counts.queued} to go
          </Badge>
          <Text size="sm" c="dimmed">
            {batch.devicesPerHour} devices/h · {batch.status}
          </Text>
        </Group>
      )}
      {error && (
        <Alert color="red" role="alert" w="100%">
          {error}
        </Alert>
      )}
    </Group>
  );
}
