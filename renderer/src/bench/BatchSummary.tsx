// At the end of a batch, what happened in one box: passed, failed grouped by reason (with the
// sentence a technician saw and the ports), waiting, time per device — and the files a shift lead
// hands on: the batch report as CSV (every slot, failures included) and the cloud exports.
import { Alert, Button, Group, List, Text } from '@mantine/core';
import { batchFigures } from '../../../shared/batch-figures';
import type { BatchState, EnrollerApi, SlotState } from '../../../shared/contract';
import { csvLine } from '../lib/csv';
import { downloadBytes, downloadText } from '../lib/download';
import { batchReportPdf } from './batch-report-pdf';
import { portLabel } from './SlotTile';

const EXPORTS = [
  { format: 'nrfcloud', label: 'nRF Cloud CSV' },
  { format: 'azure-dps', label: 'Azure DPS' },
  { format: 'aws', label: 'AWS IoT' },
  { format: 'report', label: 'PKI report (JSON)' },
] as const;

/** Every slot of the batch, one line each: what a shift report needs, failures included. */
export function batchReportCsv(batch: BatchState, slots: readonly SlotState[]): string {
  const seconds = (s: SlotState) =>
    s.startedAt && s.finishedAt ? ((Date.parse(s.finishedAt) - Date.parse(s.startedAt)) / 1000).toFixed(1) : '';
  const header = 'batch,port,status,device_id,pet_name,cert_serial,code,message,seconds,recoveries,label';
  const lines = slots.map((s) =>
    csvLine(
      [batch.id, s.port, s.status, s.deviceId, s.petName, s.certSerial, s.code, s.message, seconds(s)].concat([
        (s.recoveries ?? []).join('; '),
        s.label ?? '',
      ]),
    ),
  );
  return [header, ...lines].join('\r\n') + '\r\n';
}

export function BatchSummary({
  api,
  batch,
  slots,
}: {
  api: EnrollerApi;
  batch: BatchState;
  slots: readonly SlotState[];
}) {
  if (batch.status !== 'finished' && batch.status !== 'cancelled') return null;
  const f = batchFigures(slots);
  const parts = [
    `${f.passed} passed${f.alreadyDone ? ` (${f.alreadyDone} already done)` : ''}`,
    `${f.failed} failed`,
    `${f.waiting} waiting for a certificate`,
    ...(f.cancelled ? [`${f.cancelled} cancelled`] : []),
    ...(f.yieldPercent !== undefined ? [`yield ${f.yieldPercent.toFixed(1)} %`] : []),
    ...(f.secondsPerDevice !== undefined ? [`${f.secondsPerDevice.toFixed(1)} s per device`] : []),
  ];
  return (
    <Alert
      color={f.failed > 0 ? 'red' : 'teal'}
      title={batch.status === 'cancelled' ? 'Batch cancelled' : 'Batch finished'}
      data-testid="batch-summary"
      role="status"
      styles={{ title: { color: 'var(--mantine-color-text)', fontSize: 'var(--mantine-font-size-lg)' } }}
    >
      <Text fw={600}>{parts.join(' · ')}</Text>
      <Group gap="xs" mt="xs">
        <Button
          size="xs"
          variant="default"
          onClick={() => downloadText(`batch-${batch.id}.csv`, batchReportCsv(batch, slots), 'text/csv')}
        >
          Batch report (CSV)
        </Button>
        <Button
          size="xs"
          variant="default"
          onClick={() =>
            void batchReportPdf(batch, slots).then((pdf) =>
              downloadBytes(`batch-${batch.id}.pdf`, pdf, 'application/pdf'),
            )
          }
        >
          Batch report (PDF)
        </Button>
        {EXPORTS.map(({ format, label }) => (
          <Button
            key={format}
            size="xs"
            variant="default"
            onClick={() =>
              void api['export:batch']({ format, batchId: batch.id }).then((file) =>
                downloadText(file.fileName, file.text, file.mediaType),
              )
            }
          >
            {label}
          </Button>
        ))}
      </Group>
      {f.failures.length > 0 && (
        <List size="sm" mt="xs" data-testid="batch-failures">
          {f.failures.map((g) => (
            <List.Item key={g.code} data-code={g.code}>
              {g.count} × {g.example} ({g.code}; {g.ports.map(portLabel).join(', ')})
            </List.Item>
          ))}
        </List>
      )}
    </Alert>
  );
}
