// Device types: a form for the fields a supervisor changes, and the JSON documents supervisors
// already trade (import, export, edit) as the advanced view, with line numbers and each problem
// marked on its line. One draft behind both; the same schema main uses checks each keystroke, so
// a bad field is named — at the field, in words — before Save is pressed.
import { Badge, Button, Group, Select, Stack, Tabs, Text, Title } from '@mantine/core';
import { useEffect, useMemo, useState } from 'react';
import type { EnrollerApi } from '../../../shared/contract';
import { DeviceTypeDocument } from '../../../shared/device-type';
import { fieldIssues, type FieldIssue } from '../../../shared/field-issues';
import { downloadText } from '../lib/download';
import { problemOf, type Problem } from '../lib/errors';
import { ImportJsonButton } from '../lib/ImportJsonButton';
import { JsonCode, lineOf } from '../lib/JsonCode';
import { ProblemAlert } from '../lib/ProblemAlert';
import { DeviceTypeForm, type Draft } from './DeviceTypeForm';

const pretty = (value: unknown) => JSON.stringify(value, null, 2);

function parse(text: string): { draft?: Draft; notJson?: string } {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? { draft: value as Draft }
      : { notJson: 'A device type is one JSON object.' };
  } catch (error) {
    return { notJson: `Not JSON: ${(error as Error).message}` };
  }
}

function issuesOf(draft: Draft | undefined): FieldIssue[] {
  if (!draft) return [];
  const parsed = DeviceTypeDocument.safeParse(draft);
  return parsed.success ? [] : fieldIssues(parsed.error);
}

export function DeviceTypeEditor({ api, editable }: { api: EnrollerApi; editable: boolean }) {
  const [types, setTypes] = useState<DeviceTypeDocument[]>([]);
  const [profiles, setProfiles] = useState<string[]>([]);
  const [selected, setSelected] = useState<string | null>(null);
  const [text, setText] = useState('');
  const [saved, setSaved] = useState<string | null>(null);
  const [serverProblem, setServerProblem] = useState<Problem | null>(null);
  const reload = () => api['device-type:list']({}).then(setTypes);
  useEffect(() => {
    void reload();
    void api['profile:list']({}).then((list) => setProfiles(list.map((p) => p.name)));
  }, [api]);

  const { draft, notJson } = useMemo(() => (text.trim() === '' ? {} : parse(text)), [text]);
  const issues = useMemo(() => issuesOf(draft), [draft]);
  const issue = (path: string) => issues.find((i) => i.path === path)?.message;
  const localProblem: Problem | null = notJson
    ? { message: notJson, issues: [] }
    : issues.length > 0
      ? { message: 'The device type is not valid yet:', code: 'DEVICE_TYPE_INVALID', issues }
      : null;
  const edit = (next: Draft) => setText(pretty(next));
  const start = (next: string, name: string | null) => {
    setSelected(name);
    setSaved(null);
    setServerProblem(null);
    setText(next);
  };
  const save = async () => {
    setServerProblem(null);
    setSaved(null);
    try {
      const stored = await api['device-type:save']({ document: draft });
      await reload();
      start(pretty(stored), stored.name);
      setSaved(stored.name);
    } catch (e) {
      setServerProblem(problemOf(e));
    }
  };

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
          onChange={(name) => start(pretty(types.find((t) => t.name === name) ?? ''), name)}
          searchable
          style={{ minWidth: 280 }}
        />
        <ImportJsonButton onFile={(file) => void file.text().then((t) => start(t, null))} disabled={!editable} />
        <Button
          variant="light"
          disabled={text.trim() === '' || localProblem !== null}
          onClick={() => downloadText(`${String(draft?.name ?? 'device-type')}.json`, text, 'application/json')}
        >
          Export JSON
        </Button>
      </Group>
      {text.trim() !== '' && (
        <Group>
          {localProblem ? <Badge color="red">✘ not valid</Badge> : <Badge color="teal">✔ valid</Badge>}
          <Button onClick={() => void save()} disabled={!editable || localProblem !== null}>
            Save device type
          </Button>
          {saved && (
            <Text c="teal" role="status">
              Saved {saved}.
            </Text>
          )}
          {!editable && <Text c="dimmed">Factory mode is locked: a supervisor changes device types.</Text>}
        </Group>
      )}
      {/* Above the editor, so a problem is seen without scrolling at 768 px. */}
      <ProblemAlert problem={serverProblem ?? localProblem} />
      {text.trim() !== '' && (
        <Tabs defaultValue="form" keepMounted={false}>
          <Tabs.List>
            <Tabs.Tab value="form">Form</Tabs.Tab>
            <Tabs.Tab value="json">JSON (advanced)</Tabs.Tab>
          </Tabs.List>
          <Tabs.Panel value="form" pt="sm">
            {draft ? (
              <DeviceTypeForm draft={draft} onChange={edit} issue={issue} profiles={profiles} readOnly={!editable} />
            ) : (
              <Text c="dimmed">Fix the JSON first (JSON tab): the form needs a JSON object.</Text>
            )}
          </Tabs.Panel>
          <Tabs.Panel value="json" pt="sm">
            <JsonCode
              label="Device type JSON"
              value={text}
              onChange={setText}
              readOnly={!editable}
              problems={issues.map((i) => ({ line: lineOf(text, i.path), message: `${i.path}: ${i.message}` }))}
            />
          </Tabs.Panel>
        </Tabs>
      )}
    </Stack>
  );
}
