// Device types as the JSON documents supervisors already trade (import, export, edit). The same
// schema main uses checks each keystroke, so a bad field is named before Save is even pressed.
import { Badge, Button, Group, JsonInput, Select, Stack, Text, Title } from '@mantine/core';
import { useEffect, useMemo, useState } from 'react';
import type { EnrollerApi } from '../../../shared/contract';
import { DeviceTypeDocument } from '../../../shared/device-type';
import { downloadText } from '../lib/download';
import { problemOf, type Problem } from '../lib/errors';
import { ImportJsonButton } from '../lib/ImportJsonButton';
import { ProblemAlert } from '../lib/ProblemAlert';
import { fieldIssues } from '../../../shared/field-issues';

const pretty = (value: unknown) => JSON.stringify(value, null, 2);

function check(text: string): Problem | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { message: `Not JSON: ${(error as Error).message}`, issues: [] };
  }
  const parsed = DeviceTypeDocument.safeParse(value);
  return parsed.success
    ? null
    : { message: 'The device type is not valid.', code: 'DEVICE_TYPE_INVALID', issues: fieldIssues(parsed.error) };
}

export function DeviceTypeEditor({ api, editable }: { api: EnrollerApi; editable: boolean }) {
  const [types, setTypes] = useState<DeviceTypeDocument[]>([]);
  const [selected, setSelected] = useState<string | null>(null);
  const [text, setText] = useState('');
  const [saved, setSaved] = useState<string | null>(null);
  const [serverProblem, setServerProblem] = useState<Problem | null>(null);
  const reload = () => api['device-type:list']({}).then(setTypes);
  useEffect(() => {
    void reload();
  }, [api]);

  const localProblem = useMemo(() => (text.trim() === '' ? null : check(text)), [text]);
  const choose = (name: string | null) => {
    setSelected(name);
    setSaved(null);
    setServerProblem(null);
    const type = types.find((t) => t.name === name);
    setText(type ? pretty(type) : '');
  };
  const importFile = async (file: File) => {
    setSelected(null);
    setSaved(null);
    setServerProblem(null);
    setText(await file.text());
  };
  const save = async () => {
    setServerProblem(null);
    setSaved(null);
    try {
      const stored = await api['device-type:save']({ document: JSON.parse(text) });
      await reload();
      setSelected(stored.name);
      setText(pretty(stored));
      setSaved(stored.name);
    } catch (e) {
      setServerProblem(problemOf(e));
    }
  };
  const current = (() => {
    try {
      return JSON.parse(text) as { name?: string };
    } catch {
      return {};
    }
  })();

  return (
    <Stack>
      <Title order={2} size="h4">
        Device types
      </Title>
      <Group align="end">
        <Select
          label="Device type"
          placeholder="choose one to view or edit"
          data={types.map((t) => ({ value: t.name, label: `${t.name} (${t.device})` }))}
          value={selected}
          onChange={choose}
          searchable
          style={{ minWidth: 280 }}
        />
        <ImportJsonButton onFile={(file) => void importFile(file)} disabled={!editable} />
        <Button
          variant="light"
          disabled={text.trim() === '' || localProblem !== null}
          onClick={() => downloadText(`${current.name ?? 'device-type'}.json`, text, 'application/json')}
        >
          Export JSON
        </Button>
      </Group>
      <JsonInput
        label="Document"
        value={text}
        onChange={setText}
        autosize
        minRows={8}
        maxRows={22}
        readOnly={!editable}
        data-testid="device-type-json"
        styles={{ input: { fontFamily: 'monospace', fontSize: 13 } }}
      />
      <Group>
        {text.trim() !== '' &&
          (localProblem ? <Badge color="red">✘ not valid</Badge> : <Badge color="teal">✔ valid</Badge>)}
        <Button onClick={() => void save()} disabled={!editable || text.trim() === '' || localProblem !== null}>
          Save device type
        </Button>
        {saved && (
          <Text c="teal" role="status">
            Saved {saved}.
          </Text>
        )}
        {!editable && <Text c="dimmed">Factory mode is locked: a supervisor changes device types.</Text>}
      </Group>
      <ProblemAlert problem={serverProblem ?? localProblem} />
    </Stack>
  );
}
