// The CA at a glance: who it is, how long it lasts, its chain to hand to a cloud or a service,
// and the proof-of-possession certificate a cloud asks for when the CA is registered there.
import { Button, Card, Code, Group, SegmentedControl, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useEffect, useState, type FormEvent } from 'react';
import type { CaStatus, EnrollerApi } from '../../../shared/contract';
import { downloadText } from '../lib/download';
import { problemOf, type Problem } from '../lib/errors';
import { ProblemAlert } from '../lib/ProblemAlert';

export function CaView({ api }: { api: EnrollerApi }) {
  const [status, setStatus] = useState<CaStatus | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  useEffect(() => {
    void api['ca:status']({}).then(setStatus);
  }, [api]);

  const exportChain = async () => {
    setProblem(null);
    try {
      downloadText('station-ca-chain.pem', (await api['ca:export']({})).pem, 'application/x-pem-file');
    } catch (e) {
      setProblem(problemOf(e));
    }
  };

  if (!status) return <Text role="status">Loading…</Text>;
  return (
    <Stack maw={900}>
      <Card withBorder>
        <Stack gap="xs">
          <Group justify="space-between">
            <Title order={2} size="h4">
              Station CA
            </Title>
            <Text fw={600} data-testid="ca-lock" c={status.unlocked ? 'teal' : 'red'}>
              {status.unlocked ? '🔓 Unlocked for this session' : '🔒 Locked'}
            </Text>
          </Group>
          <Table data-testid="ca-table" layout="fixed">
            <Table.Thead>
              <Table.Tr>
                <Table.Th w={90}>CA</Table.Th>
                <Table.Th>Subject</Table.Th>
                <Table.Th w={130}>Valid until</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {(['issuing', 'root'] as const).map((which) => {
                const ca = status[which];
                return (
                  <Table.Tr key={which}>
                    <Table.Td>{which}</Table.Td>
                    <Table.Td>
                      <Text size="sm">{ca?.subject ?? '—'}</Text>
                      <Text size="xs" c="dimmed" ff="monospace" style={{ overflowWrap: 'anywhere' }}>
                        SHA-256 {ca?.fingerprint ?? '—'}
                      </Text>
                    </Table.Td>
                    <Table.Td>{ca ? new Date(ca.notAfter).toLocaleDateString() : '—'}</Table.Td>
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
          <Group>
            <Button variant="light" onClick={() => void exportChain()}>
              Export chain (PEM)
            </Button>
          </Group>
        </Stack>
      </Card>
      <VerificationCard api={api} />
      <ProblemAlert problem={problem} />
    </Stack>
  );
}

function VerificationCard({ api }: { api: EnrollerApi }) {
  const [code, setCode] = useState('');
  const [which, setWhich] = useState<'root' | 'issuing'>('root');
  const [issued, setIssued] = useState<{ pem: string; serial: string; subject: string } | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setProblem(null);
    setIssued(null);
    setBusy(true);
    try {
      setIssued(await api['ca:verification-cert']({ code: code.trim(), ca: which }));
    } catch (e) {
      setProblem(problemOf(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card withBorder component="form" onSubmit={submit} aria-label="Proof of possession">
      <Stack gap="xs">
        <Title order={2} size="h4">
          Proof of possession
        </Title>
        <Text size="sm" c="dimmed">
          When you register this CA with a cloud (Azure DPS, AWS IoT), it shows a verification code. Paste it here: the
          station signs a certificate whose common name is that code, and you upload it back.
        </Text>
        <Group align="end">
          <TextInput
            label="Verification code"
            value={code}
            onChange={(e) => setCode(e.currentTarget.value)}
            required
            style={{ flex: 1 }}
          />
          <SegmentedControl
            value={which}
            onChange={(v) => setWhich(v as 'root' | 'issuing')}
            data={[
              { value: 'root', label: 'Root CA' },
              { value: 'issuing', label: 'Issuing CA' },
            ]}
          />
          <Button type="submit" loading={busy} disabled={code.trim() === ''}>
            Sign
          </Button>
        </Group>
        <ProblemAlert problem={problem} />
        {issued && (
          <Stack gap={4} data-testid="verification-cert">
            <Text size="sm">
              {issued.subject} · serial <Code>{issued.serial}</Code>
            </Text>
            <Code block style={{ maxHeight: 160, overflow: 'auto' }}>
              {issued.pem}
            </Code>
            <Group>
              <Button
                variant="light"
                onClick={() => downloadText(`verification-${code.trim()}.pem`, issued.pem, 'application/x-pem-file')}
              >
                Download
              </Button>
            </Group>
          </Stack>
        )}
      </Stack>
    </Card>
  );
}
