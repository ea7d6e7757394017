import '@mantine/core/styles.css';
import {
  ActionIcon,
  AppShell,
  Badge,
  Button,
  Group,
  MantineProvider,
  Text,
  Title,
  useComputedColorScheme,
  useMantineColorScheme,
} from '@mantine/core';
import { useEffect, useState } from 'react';
import type { EnrollerApi, Session } from '../../shared/contract';
import { connectApi } from './api/client';
import { ApiError } from './api/errors';
import { contrastVariables, theme } from './theme';
import { BenchView } from './bench/BenchView';
import { StationInfoPanel } from './station/StationInfoPanel';

type Connection = { state: 'connecting' } | { state: 'ready'; api: EnrollerApi } | { state: 'failed'; error: ApiError };

export function App() {
  const [connection, setConnection] = useState<Connection>({ state: 'connecting' });
  const [session, setSession] = useState<Session | null>(null);
  /** Bumped on sign-out: the station view starts over at the PIN gate. */
  const [signIns, setSignIns] = useState(0);
  const signOut = async (api: EnrollerApi) => {
    setSession(await api['session:logout']({}));
    setSignIns((n) => n + 1);
  };

  useEffect(() => {
    connectApi().then(
      (api) => setConnection({ state: 'ready', api }),
      (error: unknown) =>
        setConnection({
          state: 'failed',
          error:
            error instanceof ApiError ? error : new ApiError({ code: 'STATION_UNREACHABLE', message: String(error) }),
        }),
    );
  }, []);

  return (
    <MantineProvider defaultColorScheme="auto" theme={theme} cssVariablesResolver={contrastVariables}>
      <AppShell header={{ height: 52 }} padding="md">
        <AppShell.Header>
          <Group h="100%" px="md" justify="space-between">
            <Title order={1} size="h4">
              Floor Enroller
            </Title>
            <Group gap="sm">
              {session?.role && (
                <Badge variant="light" size="lg" data-testid="who">
                  {session.name} · {session.role}
                </Badge>
              )}
              {session?.role && connection.state === 'ready' && (
                <Button variant="default" size="xs" onClick={() => void signOut(connection.api)}>
                  Sign out
                </Button>
              )}
              {session && session.rolesEnforced && session.factoryMode && <Badge color="orange">Factory mode</Badge>}
              <SchemeToggle />
            </Group>
          </Group>
        </AppShell.Header>
        <AppShell.Main>
          {connection.state === 'connecting' && <Text role="status">Connecting to the station…</Text>}
          {connection.state === 'failed' && (
            <Text role="alert" c="red" fw={600} data-code={connection.error.code}>
              {connection.error.message}
            </Text>
          )}
          {connection.state === 'ready' && (
            <>
              <BenchView key={signIns} api={connection.api} onSession={setSession} />
              <details className="station-details">
                <summary>Station</summary>
                <StationInfoPanel api={connection.api} />
              </details>
            </>
          )}
        </AppShell.Main>
      </AppShell>
    </MantineProvider>
  );
}

/** Light ⇄ dark in one click from any screen (Settings also offers "auto"). */
function SchemeToggle() {
  const { setColorScheme } = useMantineColorScheme();
  const computed = useComputedColorScheme('light');
  const next = computed === 'dark' ? 'light' : 'dark';
  return (
    <ActionIcon
      variant="default"
      size="lg"
      aria-label={`Switch to ${next} colours`}
      onClick={() => setColorScheme(next)}
    >
      {computed === 'dark' ? '☀' : '☾'}
    </ActionIcon>
  );
}
