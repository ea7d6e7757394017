// The offline queue: what the station owes and what it has settled, with "sync now".
import { Alert, Badge, Button, Group, Stack, Table, Text } from '@mantine/core';
import { useEffect, useState } from 'react';
import type { EnrollerApi, QueueEntry } from '../../../shared/contract';
import { problemOf } from '../lib/errors';

const COLOR: Record<QueueEntry['status'], string> = {
  queued: 'yellow',
  pending: 'violet',
  synced: 'blue',
  delivered: 'teal',
  failed: 'red',
};

export function QueueView({ api }: { api: EnrollerApi }) {
  const [entries, setEntries] = useState<QueueEntry[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    void api['queue:list']({}).then(setEntries);
    return api.on('queue:changed', ({ entries: next }) => setEntries(next));
  }, [api]);
  const syncNow = async () => {
    setBusy(true);
    setError(null);
    try {
      setEntries(await api['queue:sync']({}));
    } catch (e) {
      setError(problemOf(e).message);
    } finally {
      setBusy(false);
    }
  };
  const open = entries.filter((e) => e.status === 'queued' || e.status === 'pending').length;
  return (
    <Stack>
      <Group>
        <Button onClick={() => void syncNow()} loading={busy} disabled={open === 0}>
          Sync now
        </Button>
        <Text size="sm" c="dimmed" data-testid="queue-summary">
          {open} waiting for a service · {entries.length} in all
        </Text>
      </Group>
      {error && (
        <Alert color="red" role="alert">
          {error}
        </Alert>
      )}
      {entries.length === 0 ? (
        <Text c="dimmed">Nothing is queued: every certificate this station asked for has arrived.</Text>
      ) : (
        <Table striped data-testid="queue-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>#</Table.Th>
              <Table.Th>Device</Table.Th>
              <Table.Th>Profile</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Tries</Table.Th>
              <Table.Th>Last answer</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {entries.map((e) => (
              <Table.Tr key={e.id} data-status={e.status}>
                <Table.Td>{e.id}</Table.Td>
                <Table.Td ff="monospace">{e.deviceId}</Table.Td>
                <Table.Td>{e.profile}</Table.Td>
                <Table.Td>
                  <Badge color={COLOR[e.status]}>{e.status}</Badge>
                </Table.Td>
                <Table.Td>{e.attempts}</Table.Td>
                <Table.Td>{e.code ? `${e.code}: ${e.message ?? ''}` : (e.certSerial ?? '')}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}
