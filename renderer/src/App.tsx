import '@mantine/core/styles.css';
import { AppShell, Group, MantineProvider, Text, Title } from '@mantine/core';
import { useEffect, useState } from 'react';
import type { EnrollerApi } from '../../shared/contract';
import { connectApi } from './api/client';
import { ApiError } from './api/errors';
import { BenchView } from './bench/BenchView';
import { StationInfoPanel } from './station/StationInfoPanel';

type Connection = { state: 'connecting' } | { state: 'ready'; api: EnrollerApi } | { state: 'failed'; error: ApiError };

export function App() {
  const [connection, setConnection] = useState<Connection>({ state: 'connecting' });

  useEffect(() => {
    connectApi().then(
      (api) => setConnection({ state: 'ready', api }),
      (error: unknown) =>
        setConnection({
          state: 'failed',
          error: error instanceof ApiError ? error : new ApiError({ code: 'STATION_UNREACHABLE', message: String(error) }),
        }),
    );
  }, []);

  return (
    <MantineProvider defaultColorScheme="auto">
      <AppShell header={{ height: 52 }} padding="md">
        <AppShell.Header>
          <Group h="100%" px="md" justify="space-between">
            <Title order={1} size="h4">
              Floor Enroller
            </Title>
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
              <BenchView api={connection.api} />
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
