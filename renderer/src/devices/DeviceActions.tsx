// What a supervisor can do to a device: disable it (with a reason, and the RFC 5280 reason its
// certificates are revoked with), enable it again, or set it back to factory mode.
import { Button, Group, Select, TextInput } from '@mantine/core';
import { useState } from 'react';
import type { DeviceDetail, EnrollerApi } from '../../../shared/contract';
import { CHOSEN_REASONS, type ChosenReason } from '../../../shared/revocation';
import { problemOf } from '../lib/errors';

export function DeviceActions({
  api,
  detail,
  onChanged,
  onError,
}: {
  api: EnrollerApi;
  detail: DeviceDetail;
  onChanged: (detail: DeviceDetail) => void;
  onError: (message: string) => void;
}) {
  const [reason, setReason] = useState('');
  const [revokeReason, setRevokeReason] = useState<ChosenReason>('cessationOfOperation');
  const [busy, setBusy] = useState(false);
  const { deviceId, mode } = detail.device;
  const run = async (work: () => Promise<DeviceDetail>) => {
    setBusy(true);
    try {
      onChanged(await work());
      setReason('');
    } catch (e) {
      onError(problemOf(e).message);
    } finally {
      setBusy(false);
    }
  };
  if (mode === 'DISABLED') {
    return (
      <Group>
        <Button loading={busy} onClick={() => void run(() => api['devices:enable']({ deviceId }))}>
          Enable
        </Button>
      </Group>
    );
  }
  return (
    <Group align="end">
      <TextInput
        label="Why disable it"
        value={reason}
        onChange={(e) => setReason(e.currentTarget.value)}
        placeholder="returned: cracked housing"
        w={280}
      />
      <Select
        label="Revocation reason"
        value={revokeReason}
        onChange={(value) => value && setRevokeReason(value as ChosenReason)}
        data={[...CHOSEN_REASONS]}
        allowDeselect={false}
        w={220}
      />
      <Button
        color="red"
        loading={busy}
        disabled={!reason.trim()}
        onClick={() => void run(() => api['devices:disable']({ deviceId, reason: reason.trim(), revokeReason }))}
      >
        Disable
      </Button>
      <Button variant="default" loading={busy} onClick={() => void run(() => api['devices:set-factory']({ deviceId }))}>
        Set as factory mode
      </Button>
    </Group>
  );
}
