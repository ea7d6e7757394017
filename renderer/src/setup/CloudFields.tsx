// Where the device goes after the bench: the cloud whose rules preflight checks before anything is
// written (the ID it registers with), and, for an nRF91, the modem firmware the type takes. The
// CAs a cloud verified (cloud.verifiedCas) are fingerprints: edited in the JSON view.
import { Fieldset, Group, Select, TextInput } from '@mantine/core';
import type { Draft, FormProps } from './form-props';

const CLOUDS = [
  { value: 'none', label: 'None (the chain only)' },
  { value: 'nrf-cloud', label: 'nRF Cloud' },
  { value: 'azure-dps', label: 'Azure IoT Hub DPS' },
  { value: 'aws-iot', label: 'AWS IoT Core' },
];

export function CloudFields({ draft, onChange, issue, readOnly }: FormProps) {
  const cloud = draft.cloud as Draft | undefined;
  const firmware = draft.modemFirmware as Draft | undefined;
  const setCloud = (key: string, value: unknown) => {
    const next: Draft = { target: 'none', ...cloud, [key]: value };
    onChange({ ...draft, cloud: next.target === 'none' && !next.registrationId ? undefined : next });
  };
  const setMinimum = (value: string) =>
    onChange({ ...draft, modemFirmware: value ? { ...firmware, minimum: value } : undefined });
  return (
    <Fieldset legend="Cloud and firmware" aria-label="Cloud and firmware">
      <Group align="flex-end">
        <Select
          label="Cloud the device connects to"
          data={CLOUDS}
          value={typeof cloud?.target === 'string' ? cloud.target : 'none'}
          onChange={(v) => setCloud('target', v ?? 'none')}
          error={issue('cloud.target')}
          readOnly={readOnly}
          allowDeselect={false}
          w={240}
        />
        <TextInput
          label="Registration ID (the certificate's CN)"
          placeholder="{deviceId}"
          value={typeof cloud?.registrationId === 'string' ? cloud.registrationId : ''}
          onChange={(e) => setCloud('registrationId', e.currentTarget.value || undefined)}
          error={issue('cloud.registrationId')}
          readOnly={readOnly}
          w={260}
        />
        {draft.device === 'nrf91' && (
          <TextInput
            label="Lowest modem firmware (x.y.z)"
            placeholder="1.3.2"
            value={typeof firmware?.minimum === 'string' ? firmware.minimum : ''}
            onChange={(e) => setMinimum(e.currentTarget.value.trim())}
            error={issue('modemFirmware.minimum')}
            readOnly={readOnly}
            w={200}
          />
        )}
      </Group>
    </Fieldset>
  );
}
