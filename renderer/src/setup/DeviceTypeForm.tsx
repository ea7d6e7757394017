// A device type as a form: each field carries the shared schema's own message, at the field, as
// it is typed. Subject fields and CA sec tags are rows; what has no field here (PEM trust anchors,
// a ZPL layout) is kept as it is and edited in the JSON view.
import {
  ActionIcon,
  Button,
  Checkbox,
  Fieldset,
  Group,
  MultiSelect,
  NumberInput,
  SegmentedControl,
  Select,
  Stack,
  Switch,
  Text,
  TextInput,
} from '@mantine/core';
import { KeyAlgorithmName, SubjectAttribute } from '../../../shared/device-type';
import { CloudFields } from './CloudFields';
import type { Draft, FormProps } from './form-props';

export type { Draft } from './form-props';

type Rows = Array<Record<string, unknown>>;

const get = (draft: Draft, key: string) => (draft[key] ?? {}) as Draft;
const text = (value: unknown) => (typeof value === 'string' ? value : '');
const num = (value: unknown) => (typeof value === 'number' ? value : '');

export function DeviceTypeForm(props: FormProps) {
  const { draft, onChange, issue, profiles, readOnly } = props;
  const set = (key: string, value: unknown) => onChange({ ...draft, [key]: value });
  const certificate = get(draft, 'certificate');
  return (
    <Stack gap="sm" data-testid="device-type-form">
      <Group align="flex-start" grow>
        <TextInput
          label="Name"
          value={text(draft.name)}
          onChange={(e) => set('name', e.currentTarget.value)}
          error={issue('name')}
          readOnly={readOnly}
        />
        <Select
          label="Device"
          data={['nrf91', 'tpm', 'csr-file']}
          value={text(draft.device) || null}
          onChange={(v) => set('device', v)}
          error={issue('device')}
          readOnly={readOnly}
          allowDeselect={false}
        />
        <Select
          label="Profile"
          data={[...profiles]}
          value={text(draft.profile) || null}
          onChange={(v) => set('profile', v)}
          error={issue('profile')}
          readOnly={readOnly}
        />
      </Group>
      <TextInput
        label="Description"
        value={text(draft.description)}
        onChange={(e) => set('description', e.currentTarget.value)}
        error={issue('description')}
        readOnly={readOnly}
      />
      <TextInput
        label="Device ID template"
        description="{imei}, {uuid}, {serial}, {ekSha256}, {csrCn}…"
        value={text(draft.idTemplate)}
        onChange={(e) => set('idTemplate', e.currentTarget.value)}
        error={issue('idTemplate')}
        readOnly={readOnly}
      />
      <SubjectRows {...props} />
      <Group align="flex-start" grow>
        <MultiSelect
          label="Keys accepted"
          data={KeyAlgorithmName.options}
          value={((get(draft, 'keyPolicy').allowed as string[]) ?? []).slice()}
          onChange={(allowed) => set('keyPolicy', { allowed })}
          error={issue('keyPolicy.allowed') ?? issue('keyPolicy')}
          readOnly={readOnly}
        />
        <Stack gap={4}>
          <Text size="sm" fw={500}>
            Certificate
          </Text>
          <SegmentedControl
            aria-label="Certificate kind"
            data={['operational', 'birth']}
            value={text(certificate.kind) || 'operational'}
            onChange={(kind) => set('certificate', { ...certificate, kind })}
            readOnly={readOnly}
          />
        </Stack>
        <NumberInput
          label="Valid for (days)"
          value={num(certificate.validityDays)}
          onChange={(v) => set('certificate', { ...certificate, validityDays: v === '' ? undefined : Number(v) })}
          error={issue('certificate.validityDays')}
          readOnly={readOnly}
        />
      </Group>
      <Group align="flex-start" grow>
        <TextInput
          label="CRL distribution point (URL, optional)"
          placeholder="http://pki.example.com/issuing.crl"
          value={text(certificate.crlUrl)}
          onChange={(e) => set('certificate', { ...certificate, crlUrl: e.currentTarget.value.trim() || undefined })}
          error={issue('certificate.crlUrl')}
          readOnly={readOnly}
        />
        <TextInput
          label="OCSP responder (URL, optional)"
          placeholder="http://ocsp.example.com/"
          value={text(certificate.ocspUrl)}
          onChange={(e) => set('certificate', { ...certificate, ocspUrl: e.currentTarget.value.trim() || undefined })}
          error={issue('certificate.ocspUrl')}
          readOnly={readOnly}
        />
      </Group>
      {draft.device === 'nrf91' && <SecTagFields {...props} />}
      {draft.device === 'tpm' && <TpmFields {...props} />}
      <OfflineFields {...props} />
      <CloudFields {...props} />
      <LabelFields {...props} />
    </Stack>
  );
}

function SubjectRows({ draft, onChange, issue, readOnly }: FormProps) {
  const rows = ((draft.subject as Rows | undefined) ?? []).slice();
  const put = (next: Rows) => onChange({ ...draft, subject: next });
  const change = (i: number, key: string, value: unknown) =>
    put(rows.map((row, j) => (j === i ? { ...row, [key]: value } : row)));
  return (
    <Fieldset legend="Certificate subject" aria-label="Certificate subject">
      <Stack gap={6}>
        {rows.map((row, i) => (
          <Group key={i} align="flex-start" wrap="nowrap">
            <Select
              aria-label={`Subject field ${i + 1}`}
              data={SubjectAttribute.options}
              value={text(row.attribute) || null}
              onChange={(v) => change(i, 'attribute', v)}
              error={issue(`subject.${i}.attribute`)}
              readOnly={readOnly}
              w={150}
            />
            <TextInput
              aria-label={`Subject field ${i + 1} template`}
              placeholder="{deviceId}"
              value={text(row.template)}
              onChange={(e) => change(i, 'template', e.currentTarget.value || undefined)}
              error={issue(`subject.${i}.template`)}
              readOnly={readOnly}
              style={{ flex: 1 }}
            />
            <Checkbox
              label="required"
              checked={row.required === true}
              onChange={(e) => change(i, 'required', e.currentTarget.checked)}
              readOnly={readOnly}
              mt={8}
            />
            <ActionIcon
              variant="subtle"
              color="red"
              aria-label={`Remove subject field ${i + 1}`}
              onClick={() => put(rows.filter((_, j) => j !== i))}
              disabled={readOnly}
              mt={4}
            >
              ✕
            </ActionIcon>
          </Group>
        ))}
        {issue('subject') && (
          <Text size="sm" c="red" role="alert">
            {issue('subject')}
          </Text>
        )}
        <Button
          variant="default"
          size="xs"
          w="fit-content"
          onClick={() => put([...rows, { attribute: 'O', template: '' }])}
          disabled={readOnly}
        >
          Add a subject field
        </Button>
      </Stack>
    </Fieldset>
  );
}

function SecTagFields({ draft, onChange, issue, readOnly }: FormProps) {
  const tags = get(draft, 'secTags');
  const slots = ((tags.caCerts as Rows | undefined) ?? []).slice();
  const set = (key: string, value: unknown) => onChange({ ...draft, secTags: { ...tags, [key]: value } });
  const changeSlot = (i: number, key: string, value: unknown) =>
    set(
      'caCerts',
      slots.map((s, j) => (j === i ? { ...s, [key]: value } : s)),
    );
  return (
    <Fieldset legend="nRF91 sec tags" aria-label="nRF91 sec tags">
      <Stack gap={6}>
        <Group grow align="flex-start">
          <NumberInput
            label="Client certificate and key"
            value={num(tags.client)}
            onChange={(v) => set('client', v === '' ? undefined : Number(v))}
            error={issue('secTags.client') ?? issue('secTags')}
            readOnly={readOnly}
          />
          <NumberInput
            label="AT buffer of the firmware (bytes)"
            description="CONFIG_AT_HOST_CMD_MAX_LEN; empty = 4096"
            value={num(tags.commandBufferBytes)}
            onChange={(v) => set('commandBufferBytes', v === '' ? undefined : Number(v))}
            error={issue('secTags.commandBufferBytes')}
            readOnly={readOnly}
          />
        </Group>
        {slots.map((slot, i) => (
          <Group key={i} align="flex-start" wrap="nowrap">
            <NumberInput
              aria-label={`CA sec tag ${i + 1}`}
              value={num(slot.secTag)}
              onChange={(v) => changeSlot(i, 'secTag', v === '' ? undefined : Number(v))}
              error={issue(`secTags.caCerts.${i}.secTag`)}
              readOnly={readOnly}
              w={160}
            />
            <MultiSelect
              aria-label={`CA sec tag ${i + 1} certificates`}
              data={['root', 'issuing-chain', 'profile-trust']}
              value={((slot.certificates as unknown[]) ?? []).filter((c): c is string => typeof c === 'string')}
              onChange={(certificates) => changeSlot(i, 'certificates', certificates)}
              error={issue(`secTags.caCerts.${i}.certificates`)}
              readOnly={readOnly}
              style={{ flex: 1 }}
            />
          </Group>
        ))}
        <Button
          variant="default"
          size="xs"
          w="fit-content"
          onClick={() => set('caCerts', [...slots, { secTag: 0, certificates: ['root'] }])}
          disabled={readOnly}
        >
          Add a CA sec tag
        </Button>
      </Stack>
    </Fieldset>
  );
}

function TpmFields({ draft, onChange, issue, readOnly }: FormProps) {
  const tpm = get(draft, 'tpm');
  const set = (key: string, value: unknown) => onChange({ ...draft, tpm: { ...tpm, [key]: value } });
  return (
    <Fieldset legend="TPM" aria-label="TPM">
      <Group grow align="flex-start">
        <TextInput
          label="Key handle"
          placeholder="0x81010002"
          value={text(tpm.keyHandle)}
          onChange={(e) => set('keyHandle', e.currentTarget.value)}
          error={issue('tpm.keyHandle') ?? issue('tpm')}
          readOnly={readOnly}
        />
        <TextInput
          label="Certificate NV index"
          placeholder="0x01c00100"
          value={text(tpm.certNvIndex)}
          onChange={(e) => set('certNvIndex', e.currentTarget.value)}
          error={issue('tpm.certNvIndex')}
          readOnly={readOnly}
        />
        <Select
          label="Key"
          data={['ec-p256', 'rsa-2048']}
          value={text(tpm.keyAlgorithm) || null}
          onChange={(v) => set('keyAlgorithm', v)}
          error={issue('tpm.keyAlgorithm')}
          readOnly={readOnly}
        />
      </Group>
    </Fieldset>
  );
}

function OfflineFields({ draft, onChange, issue, readOnly }: FormProps) {
  const offline = { localCaAllowed: true, policy: 'birth', birthMaxValidityDays: 30, ...get(draft, 'offline') };
  const set = (key: string, value: unknown) => onChange({ ...draft, offline: { ...offline, [key]: value } });
  return (
    <Fieldset legend="When the service is out of reach" aria-label="Offline policy">
      <Group align="flex-end">
        <SegmentedControl
          aria-label="Offline policy"
          data={[
            { value: 'birth', label: 'Birth certificate now' },
            { value: 'hold', label: 'Hold until the service is back' },
          ]}
          value={text(offline.policy)}
          onChange={(v) => set('policy', v)}
          readOnly={readOnly}
        />
        <Switch
          label="Station CA allowed"
          checked={offline.localCaAllowed === true}
          onChange={(e) => set('localCaAllowed', e.currentTarget.checked)}
          readOnly={readOnly}
        />
        <NumberInput
          label="Birth certificate days"
          value={num(offline.birthMaxValidityDays)}
          onChange={(v) => set('birthMaxValidityDays', v === '' ? undefined : Number(v))}
          error={issue('offline.birthMaxValidityDays')}
          readOnly={readOnly}
          w={180}
        />
      </Group>
    </Fieldset>
  );
}

function LabelFields({ draft, onChange, issue, readOnly }: FormProps) {
  const label = draft.label as Draft | undefined;
  const set = (key: string, value: unknown) => onChange({ ...draft, label: { ...label, [key]: value } });
  return (
    <Fieldset legend="Label" aria-label="Label">
      <Group align="flex-end">
        <Switch
          label="Print a label for each device"
          checked={label !== undefined}
          onChange={(e) => onChange({ ...draft, label: e.currentTarget.checked ? {} : undefined })}
          readOnly={readOnly}
        />
        {label && (
          <>
            <SegmentedControl
              aria-label="Barcode"
              data={[
                { value: 'qr', label: 'QR code' },
                { value: 'datamatrix', label: 'DataMatrix' },
              ]}
              value={text(label.barcode) || 'qr'}
              onChange={(v) => set('barcode', v)}
              readOnly={readOnly}
            />
            <TextInput
              label="The code carries"
              placeholder="{deviceId}"
              value={text(label.content)}
              onChange={(e) => set('content', e.currentTarget.value || undefined)}
              error={issue('label.content')}
              readOnly={readOnly}
              w={260}
            />
          </>
        )}
      </Group>
    </Fieldset>
  );
}
