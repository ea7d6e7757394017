// Backups: where and how often the station backs itself up (supervisors set it), the newest backup,
// and one taken now. Restoring is `enroller restore FILE`: it replaces the database this window runs on.
import { Badge, Button, Card, Group, NumberInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { useEffect, useState, type FormEvent } from 'react';
import type { BackupStatus, EnrollerApi } from '../../../shared/contract';
import { problemOf, type Problem } from '../lib/errors';
import { ProblemAlert } from '../lib/ProblemAlert';
import { backupWords } from '../station/backup-words';

export function BackupCard({ api, supervise, backup }: { api: EnrollerApi; supervise: boolean; backup: boolean }) {
  const [status, setStatus] = useState<BackupStatus | null>(null);
  const [dir, setDir] = useState('');
  const [every, setEvery] = useState('1d');
  const [keep, setKeep] = useState<number>(7);
  const [problem, setProblem] = useState<Problem | null>(null);
  const show = (next: BackupStatus) => {
    setStatus(next);
    if (next.plan) {
      setDir(next.plan.dir);
      setEvery(next.plan.every);
      setKeep(next.plan.keep);
    }
  };
  useEffect(() => {
    void api['backup:status']({}).then(show, (e: unknown) => setProblem(problemOf(e)));
  }, [api]);
  const act = async (call: () => Promise<BackupStatus>) => {
    setProblem(null);
    try {
      show(await call());
    } catch (e) {
      setProblem(problemOf(e));
    }
  };
  const save = (event: FormEvent) => {
    event.preventDefault();
    void act(() => api['backup:schedule']({ plan: { dir, every, keep } }));
  };
  if (!status) return <ProblemAlert problem={problem} />;
  return (
    <Card withBorder data-testid="backups">
      <Stack gap="xs">
        <Group justify="space-between">
          <Title order={2} size="h4">
            Backups
          </Title>
          <Badge color={status.plan ? 'teal' : 'yellow'} data-testid="backup-schedule">
            {status.plan ? `every ${status.plan.every}, keeping ${status.plan.keep}` : 'no schedule'}
          </Badge>
        </Group>
        <Text size="sm" c="dimmed">
          A sealed copy of the CA keys (still encrypted), the ledger, the queue and the audit trail. Keep the folder on
          another disk: this one will fail one day.
          {status.source === 'command line' && ' This run uses the schedule given to `enroller serve`.'}
        </Text>
        <Text size="sm" data-testid="backup-last">
          Last backup: {backupWords(status.lastBackup)}
        </Text>
        <Group component="form" onSubmit={save} align="end" aria-label="Backup schedule">
          <TextInput
            label="Folder"
            value={dir}
            onChange={(e) => setDir(e.currentTarget.value)}
            required
            disabled={!supervise}
            w={320}
          />
          <TextInput
            label="Every"
            description="30m, 6h, 1d"
            value={every}
            onChange={(e) => setEvery(e.currentTarget.value)}
            required
            disabled={!supervise}
            w={90}
          />
          <NumberInput
            label="Keep"
            value={keep}
            min={1}
            max={1000}
            onChange={(v) => setKeep(Number(v) || 1)}
            disabled={!supervise}
            w={90}
          />
          <Button type="submit" disabled={!supervise}>
            Save schedule
          </Button>
          <Button
            variant="subtle"
            color="red"
            disabled={!supervise || !status.plan}
            onClick={() => void act(() => api['backup:schedule']({ plan: null }))}
          >
            Stop
          </Button>
        </Group>
        <Group>
          <Button
            variant="light"
            disabled={!backup || !status.plan || status.locked}
            onClick={() => void act(() => api['backup:now']({}))}
          >
            Back up now
          </Button>
        </Group>
        <ProblemAlert problem={problem} />
      </Stack>
    </Card>
  );
}
