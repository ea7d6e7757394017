// The Fleet tab (#23): this station in its fleet — the background sync's state in words, what waits
// to be sent, "Sync now", conflicts found at sync (for a PKI engineer), and each station's yield.
import { Alert, Badge, Button, Group, Stack, Table, Text, Title } from '@mantine/core';
import { useEffect, useState } from 'react';
import type { EnrollerApi, FleetStatus } from '../../../shared/contract';
import { problemOf, type Problem } from '../lib/errors';
import { ProblemAlert } from '../lib/ProblemAlert';
import { FLEET_STATE_COLOR, fleetWords, yieldPercent } from './fleet-words';

export function FleetView({ api, operate }: { api: EnrollerApi; operate: boolean }) {
  const [status, setStatus] = useState<FleetStatus | null>(null);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  useEffect(() => {
    void api['fleet:status']({}).then(setStatus, (e: unknown) => setProblem(problemOf(e)));
    return api.on('fleet:changed', setStatus);
  }, [api]);
  const syncNow = async () => {
    setBusy(true);
    setProblem(null);
    try {
      setStatus(await api['fleet:sync']({}));
    } catch (e) {
      setProblem(problemOf(e));
    } finally {
      setBusy(false);
    }
  };
  if (!status) return <ProblemAlert problem={problem} />;
  if (!status.joined)
    return (
      <Text c="dimmed" data-testid="fleet-state">
        This station is not in a fleet. A supervisor joins it with{' '}
        <code>enroller fleet join postgres://STATION@HOST:PORT/fleet?sslmode=verify-full&amp;sslrootcert=CA.pem</code>.
      </Text>
    );
  return (
    <Stack data-testid="fleet">
      <Group justify="space-between">
        <Title order={2} size="h4">
          {status.station}{' '}
          <Text span c="dimmed" size="sm">
            in {status.url}
          </Text>
        </Title>
        <Badge variant="filled" color={FLEET_STATE_COLOR[status.state]} data-testid="fleet-badge">
          {status.state}
        </Badge>
      </Group>
      <Text size="sm" data-testid="fleet-state">
        {fleetWords(status)}
      </Text>
      <Group>
        <Button onClick={() => void syncNow()} loading={busy} disabled={!operate}>
          Sync now
        </Button>
        <Text size="sm" c="dimmed" data-testid="fleet-pending">
          {status.pending} changes waiting to be sent
        </Text>
      </Group>
      <ProblemAlert problem={problem} />
      {status.conflicts.length > 0 && <Conflicts status={status} />}
      <YieldTable status={status} />
    </Stack>
  );
}

function Conflicts({ status }: { status: FleetStatus }) {
  return (
    <Alert color="red" title="Device IDs issued on two stations" data-testid="fleet-conflicts">
      <Text size="sm">
        While the fleet was out of reach, these IDs got a certificate here and at another station. Nothing was merged:
        set the devices aside for a PKI engineer.
      </Text>
      <ul>
        {status.conflicts.map((c) => (
          <li key={`${c.deviceId}-${c.station}-${c.serial}`}>
            <code>{c.deviceId}</code>: serial {c.serial} from {c.station}, held first by {c.holder}
          </li>
        ))}
      </ul>
    </Alert>
  );
}

function YieldTable({ status }: { status: FleetStatus }) {
  if (status.stations.length === 0) return <Text c="dimmed">The fleet's yield shows here after the first sync.</Text>;
  return (
    <Table striped data-testid="fleet-yield" aria-label="Yield per station">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>Station</Table.Th>
          <Table.Th>Done</Table.Th>
          <Table.Th>Failed</Table.Th>
          <Table.Th>Waiting</Table.Th>
          <Table.Th>Yield</Table.Th>
          <Table.Th>Last sync</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {status.stations.map((s) => (
          <Table.Tr key={s.station} data-station={s.station}>
            <Table.Td fw={s.station === status.station ? 700 : undefined}>{s.station}</Table.Td>
            <Table.Td>{s.done}</Table.Td>
            <Table.Td>{s.failed}</Table.Td>
            <Table.Td>{s.waiting}</Table.Td>
            <Table.Td>{yieldPercent(s)}</Table.Td>
            <Table.Td>{s.lastSyncAt ? new Date(s.lastSyncAt).toLocaleString() : 'never'}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}
