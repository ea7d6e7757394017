// The batch report as a PDF a shift lead can print or mail: the summary line, failures by reason,
// and one line per slot. pdf-lib, loaded only when asked for; its standard font speaks WinAnsi, so
// marks outside it are said in letters.
import { batchFigures } from '../../../shared/batch-figures';
import type { BatchState, SlotState } from '../../../shared/contract';

const PAGE = { width: 595, height: 842, margin: 40, line: 13 } as const; // A4, points

function winAnsi(text: string): string {
  return text
    .replace(/✔/g, 'OK')
    .replace(/✘/g, 'X')
    .replace(/[←→]/g, '->')
    .replace(/↻/g, '~')
    .replace(/[^\x20-\x7e\u00a0-\u00ff–—…•'"]/g, '?');
}

function reportLines(batch: BatchState, slots: readonly SlotState[]): string[] {
  const f = batchFigures(slots);
  const summary =
    `${f.passed} passed (${f.alreadyDone} already done), ${f.failed} failed, ${f.waiting} waiting, ` +
    `${f.cancelled} cancelled` +
    (f.yieldPercent !== undefined ? `, yield ${f.yieldPercent.toFixed(1)} %` : '') +
    (f.secondsPerDevice !== undefined ? `, ${f.secondsPerDevice.toFixed(1)} s per device` : '');
  return [
    `Batch ${batch.id}`,
    `Device type ${batch.deviceType}, profile ${batch.profile}; started ${batch.startedAt}, ${batch.status}`,
    summary,
    '',
    ...f.failures.map((g) => `${g.count} x ${g.code}: ${g.example} (${g.ports.join(', ')})`),
    ...(f.failures.length ? [''] : []),
    ...slots.map((s) =>
      [s.port, s.status, s.deviceId ?? '-', s.petName ?? '', s.certSerial ?? '', s.code ?? ''].join('  '),
    ),
  ];
}

export async function batchReportPdf(batch: BatchState, slots: readonly SlotState[]): Promise<Uint8Array> {
  const { PDFDocument, StandardFonts } = await import('pdf-lib');
  const pdf = await PDFDocument.create();
  pdf.setTitle(`Batch report ${batch.id}`);
  pdf.setProducer('Floor Enroller');
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  let page = pdf.addPage([PAGE.width, PAGE.height]);
  let y = PAGE.height - PAGE.margin;
  for (const [i, line] of reportLines(batch, slots).entries()) {
    if (y < PAGE.margin) {
      page = pdf.addPage([PAGE.width, PAGE.height]);
      y = PAGE.height - PAGE.margin;
    }
    const size = i === 0 ? 14 : 9;
    page.drawText(winAnsi(line).slice(0, 120), { x: PAGE.margin, y, size, font });
    y -= i === 0 ? PAGE.line + 6 : PAGE.line;
  }
  return pdf.save();
}
