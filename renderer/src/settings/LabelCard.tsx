// Labels: which printer (a network label printer on TCP 9100, or a CUPS queue), and a device
// type's label as it will print — the barcode, the words — with a test print.
import {
  Button,
  Card,
  Group,
  Image,
  NumberInput,
  SegmentedControl,
  Select,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useEffect, useState } from 'react';
import type { EnrollerApi, LabelPreview, PrinterSetting } from '../../../shared/contract';
import { problemOf, type Problem } from '../lib/errors';
import { ProblemAlert } from '../lib/ProblemAlert';

type Kind = 'none' | 'tcp' | 'cups';

export function LabelCard({ api, configure }: { api: EnrollerApi; configure: boolean }) {
  const [kind, setKind] = useState<Kind>('none');
  const [host, setHost] = useState('');
  const [port, setPort] = useState<number>(9100);
  const [queue, setQueue] = useState('');
  const [types, setTypes] = useState<string[]>([]);
  const [type, setType] = useState<string | null>(null);
  const [preview, setPreview] = useState<LabelPreview | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [said, setSaid] = useState<string | null>(null);

  useEffect(() => {
    void api['printer:get']({}).then(({ printer }) => show(printer));
    void api['device-type:list']({}).then((list) => {
      setTypes(list.map((t) => t.name));
      setType(list.find((t) => t.device === 'nrf91')?.name ?? list[0]?.name ?? null);
    });
  }, [api]);
  useEffect(() => {
    if (type)
      void api['label:preview']({ deviceType: type }).then(setPreview, (e: unknown) => setProblem(problemOf(e)));
  }, [api, type]);

  const show = (printer: PrinterSetting | null) => {
    setKind(printer?.kind ?? 'none');
    if (printer?.kind === 'tcp') {
      setHost(printer.host);
      setPort(printer.port);
    }
    if (printer?.kind === 'cups') setQueue(printer.queue);
  };
  const attempt = (action: () => Promise<string>) => () => {
    setProblem(null);
    setSaid(null);
    action().then(setSaid, (e: unknown) => setProblem(problemOf(e)));
  };
  const printer = (): PrinterSetting | null =>
    kind === 'tcp' ? { kind, host, port } : kind === 'cups' ? { kind, queue } : null;

  return (
    <Card withBorder data-testid="label-settings">
      <Stack gap="sm">
        <Title order={2} size="h4">
          Labels
        </Title>
        <Text size="sm" c="dimmed">
          Device types with a label print one for each device enrolled. A printer that fails costs the label, never the
          device.
        </Text>
        <Group align="flex-end">
          <SegmentedControl
            aria-label="Label printer"
            value={kind}
            onChange={(v) => setKind(v as Kind)}
            data={[
              { value: 'none', label: 'No printer' },
              { value: 'tcp', label: 'Network (ZPL, TCP)' },
              { value: 'cups', label: 'CUPS queue' },
            ]}
            disabled={!configure}
          />
          {kind === 'tcp' && (
            <>
              <TextInput label="Printer host" value={host} onChange={(e) => setHost(e.currentTarget.value)} w={180} />
              <NumberInput label="Port" value={port} onChange={(v) => setPort(Number(v))} min={1} max={65535} w={100} />
            </>
          )}
          {kind === 'cups' && (
            <TextInput label="Queue" value={queue} onChange={(e) => setQueue(e.currentTarget.value)} w={200} />
          )}
          <Button
            disabled={!configure}
            onClick={attempt(async () => {
              show((await api['printer:set']({ printer: printer() })).printer);
              return 'Saved.';
            })}
          >
            Save printer
          </Button>
        </Group>
        <Group align="flex-start">
          <Select
            label="Label of device type"
            data={types}
            value={type}
            onChange={setType}
            w={220}
            allowDeselect={false}
          />
          {preview && (
            <Group data-testid="label-preview" gap="sm" p="xs" bg="white" c="black" style={{ borderRadius: 6 }}>
              <Image src={`data:image/png;base64,${preview.png}`} alt={`Barcode: ${preview.code}`} w={110} h={110} />
              <Stack gap={2}>
                {preview.lines.map((line) => (
                  <Text key={line} size="sm" c="black" fw={line === preview.lines[0] ? 700 : 400}>
                    {line}
                  </Text>
                ))}
              </Stack>
            </Group>
          )}
          <Button
            variant="default"
            disabled={!type}
            onClick={attempt(async () => {
              await api['label:print']({ deviceType: type! });
              return 'Test label sent.';
            })}
          >
            Print a test label
          </Button>
        </Group>
        {said && (
          <Text size="sm" role="status">
            {said}
          </Text>
        )}
        <ProblemAlert problem={problem} />
      </Stack>
    </Card>
  );
}
