// The Devices tab (#19): find a device by ID, IMEI, pet name or serial; see its mode, its
// certificates and its history; supervisors disable, enable, set back to factory mode and revoke.
import { Alert, Anchor, Badge, Group, SegmentedControl, Stack, Table, Text, TextInput } from '@mantine/core';
import { useCallback, useEffect, useState } from 'react';
import type { DeviceDetail, DeviceSummary, EnrollerApi, Session } from '../../../shared/contract';
import { allowed } from '../../../shared/contract/define';
import { problemOf } from '../lib/errors';
import { DeviceActions } from './DeviceActions';
import { DeviceCertificates } from './DeviceCertificates';

export const MODE_COLOR: Record<DeviceSummary['mode'], string> = {
  NEW: 'gray',
  FACTORY: 'yellow',
  OPERATIONAL: 'teal',
  DISABLED: 'red',
};

type ModeFilter = DeviceSummary['mode'] | 'ALL';

export function DevicesView({ api, session }: { api: EnrollerApi; session: Session }) {
  const [search, setSearch] = useState('');
  const [mode, setMode] = useState<ModeFilter>('ALL');
  const [devices, setDevices] = useState<DeviceSummary[]>([]);
  const [open, setOpen] = useState<DeviceDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const supervisor = !session.rolesEnforced || (session.role !== undefined && allowed(session.role, 'supervise', true));

  const refresh = useCallback(() => {
    const request = { ...(search.trim() ? { search: search.trim() } : {}), ...(mode !== 'ALL' ? { mode } : {}) };
    api['devices:list'](request).then(setDevices, (e: unknown) => setError(problemOf(e).message));
  }, [api, search, mode]);
  useEffect(refresh, [refresh]);

  const show = (deviceId: string) =>
    api['devices:show']({ deviceId }).then(setOpen, (e: unknown) => setError(problemOf(e).message));
  const changed = (detail: DeviceDetail) => {
    setOpen(detail);
    refresh();
  };

  return (
    <Stack>
      <Group align="end">
        <TextInput
          label="Find a device"
          placeholder="ID, IMEI, pet name or serial"
          value={search}
          onChange={(e) => setSearch(e.currentTarget.value)}
          w={320}
        />
        <SegmentedControl
          aria-label="Mode"
          value={mode}
          onChange={(value) => setMode(value as ModeFilter)}
          data={['ALL', 'NEW', 'FACTORY', 'OPERATIONAL', 'DISABLED']}
        />
      </Group>
      {error && (
        <Alert color="red" role="alert" withCloseButton onClose={() => setError(null)}>
          {error}
        </Alert>
      )}
      {devices.length === 0 ? (
        <Text c="dimmed">No device matches.</Text>
      ) : (
        <Table striped highlightOnHover data-testid="devices-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Device</Table.Th>
              <Table.Th>Pet name</Table.Th>
              <Table.Th>IMEI</Table.Th>
              <Table.Th>Mode</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {devices.map((d) => (
              <Table.Tr key={d.deviceId} data-device={d.deviceId}>
                <Table.Td>
                  <Anchor component="button" type="button" ff="monospace" onClick={() => void show(d.deviceId)}>
                    {d.deviceId}
                  </Anchor>
                </Table.Td>
                <Table.Td>{d.petName ?? ''}</Table.Td>
                <Table.Td ff="monospace">{d.imei ?? ''}</Table.Td>
                <Table.Td>
                  <Badge color={MODE_COLOR[d.mode]}>{d.mode}</Badge>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {open && (
        <Stack gap="xs" data-testid="device-detail">
          <Group>
            <Text fw={700} ff="monospace">
              {open.device.deviceId}
            </Text>
            <Badge color={MODE_COLOR[open.device.mode]} data-testid="device-mode">
              {open.device.mode}
            </Badge>
            {open.device.disabledReason && <Text size="sm">Disabled: {open.device.disabledReason}</Text>}
            {open.device.nextCertificate && <Text size="sm">Its next provision issues a birth certificate.</Text>}
          </Group>
          {(open.device.model || open.device.firmware) && (
            <Text size="sm" data-testid="device-modem">
              {[open.device.model, open.device.firmware && `modem firmware ${open.device.firmware}`]
                .filter(Boolean)
                .join(' · ')}
            </Text>
          )}
          {supervisor && <DeviceActions api={api} detail={open} onChanged={changed} onError={setError} />}
          <DeviceCertificates api={api} detail={open} supervisor={supervisor} onChanged={changed} onError={setError} />
          <Text fw={600} size="sm">
            History
          </Text>
          <Table data-testid="device-history">
            <Table.Tbody>
              {open.history.map((h, i) => (
                <Table.Tr key={i}>
                  <Table.Td>{new Date(h.at).toLocaleString()}</Table.Td>
                  <Table.Td>{h.action}</Table.Td>
                  <Table.Td>{h.actor}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Stack>
      )}
    </Stack>
  );
}
