// The station view: CA gate first, then the batch header and one tile per slot.
import { SimpleGrid, Stack, Tabs, Text } from '@mantine/core';
import { AuditView } from '../records/AuditView';
import { QueueView } from '../records/QueueView';
import { useEffect, useState } from 'react';
import type { CaStatus, EnrollerApi, Session } from '../../../shared/contract';
import { PinGate } from './PinGate';
import { ScanInput } from './ScanInput';
import { BatchBar } from './BatchBar';
import { CaGate } from './CaGate';
import { SlotTile } from './SlotTile';
import { useBench } from './useBench';

export function BenchView({ api }: { api: EnrollerApi }) {
  const [session, setSession] = useState<Session | null>(null);
  useEffect(() => {
    void api['session:whoami']({}).then(setSession);
  }, [api]);
  if (!session) return <Text role="status">Loading…</Text>;
  if (session.rolesEnforced && !session.role) return <PinGate api={api} onSignedIn={setSession} />;
  return <Bench api={api} />;
}

function Bench({ api }: { api: EnrollerApi }) {
  const [ca, setCa] = useState<CaStatus | null>(null);
  const { batch, slots } = useBench(api);
  useEffect(() => {
    void api['ca:status']({}).then(setCa);
  }, [api]);

  if (!ca) return <Text role="status">Loading…</Text>;
  if (!ca.initialized || !ca.unlocked) return <CaGate api={api} status={ca} onReady={setCa} />;
  return (
    <Tabs defaultValue="bench" keepMounted={false}>
      <Tabs.List mb="md">
        <Tabs.Tab value="bench">Bench</Tabs.Tab>
        <Tabs.Tab value="queue">Queue</Tabs.Tab>
        <Tabs.Tab value="audit">Audit</Tabs.Tab>
      </Tabs.List>
      <Tabs.Panel value="bench">
        <Stack>
          <ScanInput api={api} slots={slots} />
          <BatchBar api={api} batch={batch} />
          {slots.length === 0 ? (
            <Text c="dimmed">No devices on the bench. Plug a device in (USB serial), or start with `--simulate N`.</Text>
          ) : (
            <SimpleGrid cols={{ base: 2, sm: 3, lg: 4 }} spacing="sm" data-testid="bench">
              {slots.map((slot) => (
                <SlotTile key={slot.port} slot={slot} {...(batch && (slot.status === 'failed' || slot.status === 'cancelled') ? { onRetry: () => void api['batch:retry']({ ports: [slot.port] }) } : {})} />
              ))}
            </SimpleGrid>
          )}
        </Stack>
      </Tabs.Panel>
      <Tabs.Panel value="queue">
        <QueueView api={api} />
      </Tabs.Panel>
      <Tabs.Panel value="audit">
        <AuditView api={api} />
      </Tabs.Panel>
    </Tabs>
  );
}
