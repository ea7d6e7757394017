// Station settings: how it looks, whether configuration is locked (factory mode), who may sign
// in, and whether the OS keychain remembers the passphrase.
import {
  Badge,
  Button,
  Card,
  Group,
  type MantineColorScheme,
  PasswordInput,
  SegmentedControl,
  Select,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
  Title,
  useMantineColorScheme,
} from '@mantine/core';
import { useEffect, useState, type FormEvent } from 'react';
import { type EnrollerApi, type KeychainStatus, type Role, type Session } from '../../../shared/contract';
import { problemOf, type Problem } from '../lib/errors';
import { ProblemAlert } from '../lib/ProblemAlert';
import { may } from '../lib/may';
import { canConfigure } from '../setup/SetupView';
import { BackupCard } from './BackupCard';
import { LabelCard } from './LabelCard';
import { SoundCard } from './SoundCard';

export function SettingsView({
  api,
  session,
  onSession,
}: {
  api: EnrollerApi;
  session: Session;
  onSession: (session: Session) => void;
}) {
  const { colorScheme, setColorScheme } = useMantineColorScheme();
  const [problem, setProblem] = useState<Problem | null>(null);
  const configure = canConfigure(session);
  const attempt = async (action: () => Promise<void>) => {
    setProblem(null);
    try {
      await action();
    } catch (e) {
      setProblem(problemOf(e));
    }
  };
  return (
    <Stack maw={820}>
      <Card withBorder>
        <Group justify="space-between">
          <div>
            <Title order={2} size="h4">
              Appearance
            </Title>
            <Text size="sm" c="dimmed">
              Dark suits a dim line; light suits a bright one. Auto follows the operating system.
            </Text>
          </div>
          <SegmentedControl
            aria-label="Colour scheme"
            value={colorScheme}
            onChange={(v) => setColorScheme(v as MantineColorScheme)}
            data={[
              { value: 'auto', label: 'Auto' },
              { value: 'light', label: 'Light' },
              { value: 'dark', label: 'Dark' },
            ]}
          />
        </Group>
      </Card>
      <SoundCard />
      <LabelCard api={api} configure={configure} />
      <Card withBorder>
        <Group justify="space-between">
          <div>
            <Title order={2} size="h4">
              Factory mode
            </Title>
            <Text size="sm" c="dimmed">
              Locked: only a supervisor changes device types, profiles and settings; operators run batches.
            </Text>
          </div>
          <Switch
            size="lg"
            label={session.factoryMode ? 'Locked' : 'Unlocked'}
            checked={session.factoryMode}
            disabled={!configure}
            onChange={(e) => {
              const locked = e.currentTarget.checked;
              void attempt(async () => onSession(await api['station:factoryMode']({ locked })));
            }}
          />
        </Group>
      </Card>
      <Operators api={api} configure={configure} onProblem={setProblem} onSession={onSession} />
      <BackupCard api={api} supervise={may(session, 'supervise')} backup={may(session, 'backup')} />
      <Keychain api={api} configure={configure} />
      <ProblemAlert problem={problem} />
    </Stack>
  );
}

function Operators({
  api,
  configure,
  onProblem,
  onSession,
}: {
  api: EnrollerApi;
  configure: boolean;
  onProblem: (p: Problem | null) => void;
  onSession: (session: Session) => void;
}) {
  const [people, setPeople] = useState<Array<{ name: string; role: Role }>>([]);
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('operator');
  const [pin, setPin] = useState('');
  useEffect(() => {
    void api['operator:list']({}).then(setPeople);
  }, [api]);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    onProblem(null);
    try {
      const first = people.length === 0;
      await api['operator:add']({ name, role: first ? 'supervisor' : role, pin });
      // The first supervisor turns PINs on; the person who just chose one stays signed in.
      if (first) onSession(await api['session:login']({ name, pin }));
      setPeople(await api['operator:list']({}));
      setName('');
      setPin('');
    } catch (e) {
      onProblem(problemOf(e));
    }
  };
  return (
    <Card withBorder>
      <Stack gap="xs">
        <Title order={2} size="h4">
          People
        </Title>
        <Text size="sm" c="dimmed">
          {people.length === 0
            ? 'Nobody is registered: the station is open to anyone. Register a supervisor to require PINs.'
            : 'Each person signs in with a PIN (a badge scanner that types digits works).'}
        </Text>
        {people.length > 0 && (
          <Table data-testid="operators">
            <Table.Tbody>
              {people.map((p) => (
                <Table.Tr key={p.name}>
                  <Table.Td>{p.name}</Table.Td>
                  <Table.Td>
                    <Badge variant="light">{p.role}</Badge>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
        <Group component="form" onSubmit={submit} align="end" aria-label="Register a person">
          <TextInput
            label="Name"
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            required
            disabled={!configure}
          />
          <Select
            label="Role"
            value={people.length === 0 ? 'supervisor' : role}
            onChange={(v) => v && setRole(v as Role)}
            data={['operator', 'supervisor', 'auditor']}
            disabled={!configure || people.length === 0}
            w={140}
          />
          <PasswordInput
            label="PIN"
            value={pin}
            onChange={(e) => setPin(e.currentTarget.value)}
            required
            disabled={!configure}
            w={140}
            inputMode="numeric"
          />
          <Button type="submit" disabled={!configure}>
            Register
          </Button>
        </Group>
      </Stack>
    </Card>
  );
}

function Keychain({ api, configure }: { api: EnrollerApi; configure: boolean }) {
  const [status, setStatus] = useState<KeychainStatus | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  useEffect(() => {
    void api['keychain:status']({}).then(setStatus);
  }, [api]);
  const act = async (call: () => Promise<KeychainStatus>) => {
    setProblem(null);
    try {
      setStatus(await call());
    } catch (e) {
      setProblem(problemOf(e));
    }
  };
  if (!status) return null;
  return (
    <Card withBorder data-testid="keychain">
      <Stack gap="xs">
        <Title order={2} size="h4">
          Remember the passphrase
        </Title>
        <Text size="sm" c="dimmed">
          The OS keychain can keep the station passphrase so the station unlocks with one click. Typing the passphrase
          always works too.
        </Text>
        <Text size="sm" data-testid="keychain-state">
          {status.available
            ? `Keychain: ${status.backend ?? 'available'}${status.remembered ? ' — passphrase remembered' : ''}`
            : status.reason}
        </Text>
        <Group>
          <Button
            variant="light"
            disabled={!configure || !status.available || status.remembered}
            onClick={() => void act(() => api['keychain:remember']({}))}
          >
            Remember
          </Button>
          <Button
            variant="subtle"
            color="red"
            disabled={!configure || !status.remembered}
            onClick={() => void act(() => api['keychain:forget']({}))}
          >
            Forget
          </Button>
        </Group>
        <ProblemAlert problem={problem} />
      </Stack>
    </Card>
  );
}
