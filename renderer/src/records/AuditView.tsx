// The audit trail: verify the hash chain, and search the newest rows.
import { Alert, Button, Group, Stack, Table, TextInput } from '@mantine/core';
import { useEffect, useState } from 'react';
import type { AuditRow, AuditVerdict, EnrollerApi } from '../../../shared/contract';

export function AuditView({ api }: { api: EnrollerApi }) {
  const [rows, setRows] = useState<AuditRow[]>([]);
  const [search, setSearch] = useState('');
  const [verdict, setVerdict] = useState<AuditVerdict | null>(null);
  useEffect(() => {
    const timer = setTimeout(
      () => void api['audit:list']({ ...(search ? { search } : {}), limit: 200 }).then(setRows),
      150,
    );
    return () => clearTimeout(timer);
  }, [api, search]);
  return (
    <Stack>
      <Group align="flex-end">
        <Button onClick={() => void api['audit:verify']({}).then(setVerdict)}>Verify the chain</Button>
        <TextInput
          label="Search"
          placeholder="action, device or person"
          value={search}
          onChange={(e) => setSearch(e.currentTarget.value)}
          w={320}
        />
      </Group>
      {verdict && (
        <Alert
          color={verdict.ok ? 'teal' : 'red'}
          role="status"
          data-testid="audit-verdict"
          data-ok={String(verdict.ok)}
        >
          {verdict.ok
            ? `✔ The audit trail is whole: ${verdict.rows} rows, head ${verdict.head}.`
            : `✘ Broken at row ${verdict.seq} (${verdict.problem}): ${verdict.message}`}
        </Alert>
      )}
      <Table striped data-testid="audit-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>#</Table.Th>
            <Table.Th>When</Table.Th>
            <Table.Th>Who</Table.Th>
            <Table.Th>What</Table.Th>
            <Table.Th>Subject</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((r) => (
            <Table.Tr key={r.seq}>
              <Table.Td>{r.seq}</Table.Td>
              <Table.Td>{new Date(r.at).toLocaleString()}</Table.Td>
              <Table.Td>{r.actor}</Table.Td>
              <Table.Td>{r.action}</Table.Td>
              <Table.Td ff="monospace">{r.subject}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Stack>
  );
}
