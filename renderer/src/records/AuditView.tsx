// The audit trail: verify the hash chain, search the newest rows (by action, person, device ID,
// IMEI, pet name or serial — details are searched too), open a row to read all of it, and export
// what is shown as CSV.
import { Alert, Button, Code, Group, Stack, Table, TextInput } from '@mantine/core';
import { Fragment, useEffect, useState } from 'react';
import type { AuditRow, AuditVerdict, EnrollerApi } from '../../../shared/contract';
import { csvLine } from '../lib/csv';
import { downloadText } from '../lib/download';
import { whatOf, whoOf } from './audit-words';

export function AuditView({ api }: { api: EnrollerApi }) {
  const [rows, setRows] = useState<AuditRow[]>([]);
  const [search, setSearch] = useState('');
  const [verdict, setVerdict] = useState<AuditVerdict | null>(null);
  const [open, setOpen] = useState<number | null>(null);
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
          placeholder="action, person, device ID, IMEI, pet name, serial"
          value={search}
          onChange={(e) => setSearch(e.currentTarget.value)}
          w={360}
        />
        <Button variant="default" onClick={() => downloadText('audit.csv', toCsv(rows), 'text/csv')}>
          Export CSV ({rows.length})
        </Button>
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
            <Fragment key={r.seq}>
              <Table.Tr data-action={r.action}>
                <Table.Td>
                  <Button
                    variant="subtle"
                    size="compact-sm"
                    aria-expanded={open === r.seq}
                    aria-label={`Row ${r.seq}: show all of it`}
                    onClick={() => setOpen(open === r.seq ? null : r.seq)}
                  >
                    {r.seq}
                  </Button>
                </Table.Td>
                <Table.Td>{new Date(r.at).toLocaleString()}</Table.Td>
                <Table.Td>{whoOf(r.actor)}</Table.Td>
                <Table.Td title={r.action}>{whatOf(r.action)}</Table.Td>
                <Table.Td ff="monospace">{r.subject}</Table.Td>
              </Table.Tr>
              {open === r.seq && (
                <Table.Tr data-testid="audit-details">
                  <Table.Td colSpan={5}>
                    <Code block>{JSON.stringify({ action: r.action, ...JSON.parse(r.details || '{}') }, null, 2)}</Code>
                  </Table.Td>
                </Table.Tr>
              )}
            </Fragment>
          ))}
        </Table.Tbody>
      </Table>
    </Stack>
  );
}

function toCsv(rows: readonly AuditRow[]): string {
  const lines = rows.map((r) => csvLine([r.seq, r.at, r.actor, r.action, r.subject, r.details]));
  return ['seq,at,actor,action,subject,details', ...lines].join('\n');
}
