// Every certificate a device was given, with its status; a supervisor revokes a live one here.
import { Badge, Button, Group, Table, Text } from '@mantine/core';
import type { DeviceCertificate, DeviceDetail, EnrollerApi } from '../../../shared/contract';
import { problemOf } from '../lib/errors';

const STATUS_COLOR: Record<DeviceCertificate['status'], string> = {
  issued: 'teal',
  revoked: 'red',
  'issued-by-service': 'blue',
  'revocation-requested': 'orange',
};

export function DeviceCertificates({
  api,
  detail,
  supervisor,
  onChanged,
  onError,
}: {
  api: EnrollerApi;
  detail: DeviceDetail;
  supervisor: boolean;
  onChanged: (detail: DeviceDetail) => void;
  onError: (message: string) => void;
}) {
  const revoke = (serial: string) =>
    api['devices:revoke']({ serial, reason: 'keyCompromise' }).then(onChanged, (e: unknown) =>
      onError(problemOf(e).message),
    );
  return (
    <Table data-testid="device-certificates">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>Serial</Table.Th>
          <Table.Th>Kind</Table.Th>
          <Table.Th>Issuer</Table.Th>
          <Table.Th>Valid until</Table.Th>
          <Table.Th>Status</Table.Th>
          {supervisor && <Table.Th />}
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {detail.certificates.map((c) => (
          <Table.Tr key={c.serial} data-serial={c.serial} data-status={c.status}>
            <Table.Td ff="monospace">{c.serial}</Table.Td>
            <Table.Td>{c.kind ?? ''}</Table.Td>
            <Table.Td>{c.issuer}</Table.Td>
            <Table.Td>{c.notAfter ? new Date(c.notAfter).toLocaleDateString() : ''}</Table.Td>
            <Table.Td>
              <Group gap="xs">
                <Badge color={STATUS_COLOR[c.status]}>{c.status}</Badge>
                {c.reason && <Text size="sm">{c.reason}</Text>}
                {c.revokedAt && (
                  <Text size="sm" c="dimmed">
                    {new Date(c.revokedAt).toLocaleString()}
                  </Text>
                )}
              </Group>
            </Table.Td>
            {supervisor && (
              <Table.Td>
                {c.status === 'issued' && (
                  <Button size="xs" color="red" variant="light" onClick={() => void revoke(c.serial)}>
                    Revoke (key compromise)
                  </Button>
                )}
              </Table.Td>
            )}
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}
