// The station: sign-in and CA gates first, then the bench (batch header and one tile per slot)
// and the tabs a supervisor or auditor needs. Every tab is reachable from the keyboard.
import { Stack, Tabs, Text } from '@mantine/core';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { CaStatus, EnrollerApi, Session } from '../../../shared/contract';
import { CaView } from '../ca/CaView';
import { DevicesView } from '../devices/DevicesView';
import { FleetView } from '../fleet/FleetView';
import { may } from '../lib/may';
import { AuditView } from '../records/AuditView';
import { QueueView } from '../records/QueueView';
import { SettingsView } from '../settings/SettingsView';
import { SetupView } from '../setup/SetupView';
import { BatchBar } from './BatchBar';
import { BatchSummary } from './BatchSummary';
import { BenchGrid } from './BenchGrid';
import { CaGate } from './CaGate';
import { PinGate } from './PinGate';
import { ScanInput } from './ScanInput';
import { useBench } from './useBench';
import { useCues } from './useCues';

export function BenchView({ api, onSession }: { api: EnrollerApi; onSession?: (session: Session) => void }) {
  const [session, setSession] = useState<Session | null>(null);
  const update = useCallback(
    (next: Session) => {
      setSession(next);
      onSession?.(next);
    },
    [onSession],
  );
  useEffect(() => {
    void api['session:whoami']({}).then(update);
  }, [api, update]);
  if (!session) return <Text role="status">Loading…</Text>;
  if (session.rolesEnforced && !session.role) return <PinGate api={api} onSignedIn={update} />;
  return <Station api={api} session={session} onSession={update} />;
}

function Station({
  api,
  session,
  onSession,
}: {
  api: EnrollerApi;
  session: Session;
  onSession: (session: Session) => void;
}) {
  const [ca, setCa] = useState<CaStatus | null>(null);
  const { batch, slots, replace } = useBench(api);
  useCues(slots);
  const scan = useRef<HTMLInputElement>(null);
  const refocus = useCallback(() => scan.current?.focus(), []);
  useEffect(() => {
    void api['ca:status']({}).then(setCa);
  }, [api]);
  const retry = useCallback(
    (port: string) => void api['batch:retry']({ ports: [port] }).finally(() => scan.current?.focus()),
    [api],
  );

  if (!ca) return <Text role="status">Loading…</Text>;
  if (!ca.initialized || !ca.unlocked) return <CaGate api={api} status={ca} onReady={setCa} />;
  return (
    <Tabs defaultValue="bench" keepMounted={false}>
      <Tabs.List mb="md">
        <Tabs.Tab value="bench">Bench</Tabs.Tab>
        <Tabs.Tab value="queue">Queue</Tabs.Tab>
        <Tabs.Tab value="devices">Devices</Tabs.Tab>
        <Tabs.Tab value="fleet">Fleet</Tabs.Tab>
        <Tabs.Tab value="audit">Audit</Tabs.Tab>
        <Tabs.Tab value="ca">CA</Tabs.Tab>
        <Tabs.Tab value="setup">Device types &amp; profiles</Tabs.Tab>
        <Tabs.Tab value="settings">Settings</Tabs.Tab>
      </Tabs.List>
      <Tabs.Panel value="bench">
        <Stack>
          <ScanInput api={api} slots={slots} batch={batch} ref={scan} />
          <BatchBar api={api} batch={batch} refocus={refocus} onNewBatch={replace} />
          {batch && <BatchSummary api={api} batch={batch} slots={slots} />}
          {slots.length === 0 ? (
            <Text c="dimmed">
              No devices on the bench. Plug a device in (USB serial), or start with `--simulate N`.
            </Text>
          ) : (
            <BenchGrid slots={slots} onRetry={batch ? retry : undefined} pausing={batch?.status === 'paused'} />
          )}
        </Stack>
      </Tabs.Panel>
      <Tabs.Panel value="queue">
        <QueueView api={api} />
      </Tabs.Panel>
      <Tabs.Panel value="devices">
        <DevicesView api={api} session={session} />
      </Tabs.Panel>
      <Tabs.Panel value="fleet">
        <FleetView api={api} operate={may(session, 'operate')} />
      </Tabs.Panel>
      <Tabs.Panel value="audit">
        <AuditView api={api} />
      </Tabs.Panel>
      <Tabs.Panel value="ca">
        <CaView api={api} />
      </Tabs.Panel>
      <Tabs.Panel value="setup">
        <SetupView api={api} session={session} />
      </Tabs.Panel>
      <Tabs.Panel value="settings">
        <SettingsView api={api} session={session} onSession={onSession} />
      </Tabs.Panel>
    </Tabs>
  );
}
