// A device's label in ZPL (Zebra's printer language): a QR code or DataMatrix and the words a
// person reads off the device — pet name, device ID, IMEI, serial. A device type may bring its own
// layout; placeholders are {deviceId} {imei} {petName} {serial} {certSerial} and {code}, the
// barcode command. Values are IDs, but they are cleaned anyway: a ^ or ~ in field data would
// start a ZPL command.
import { EnrollerError } from '../../shared/errors';
import type { DeviceTypeDocument } from '../../shared/device-type';

export interface LabelValues {
  readonly deviceId: string;
  readonly imei?: string | undefined;
  readonly petName?: string | undefined;
  readonly serial?: string | undefined;
  readonly certSerial?: string | undefined;
}

export type LabelSpec = NonNullable<DeviceTypeDocument['label']>;

const PLACEHOLDERS = ['deviceId', 'imei', 'petName', 'serial', 'certSerial', 'code'] as const;

/** 2 × 1.25 in at 203 dpi: the code on the left, the words beside it. */
export const DEFAULT_LABEL_ZPL = [
  '^XA',
  '^CI28',
  '^FO20,20{code}',
  '^FO220,24^A0N,40,40^FD{petName}^FS',
  '^FO220,80^A0N,26,26^FD{deviceId}^FS',
  '^FO220,118^A0N,24,24^FDIMEI {imei}^FS',
  '^FO220,150^A0N,24,24^FDS/N {serial}^FS',
  '^XZ',
].join('\n');

/** What the barcode carries, with the device's values filled in. */
export function labelCode(spec: LabelSpec, values: LabelValues): string {
  return fill(spec.content, values);
}

export function renderLabelZpl(spec: LabelSpec, values: LabelValues): string {
  const code = clean(labelCode(spec, values));
  // QR: model 2, magnification 5, "QA," = error correction Q, automatic input. DataMatrix: ECC 200.
  const barcode = spec.barcode === 'qr' ? `^BQN,2,5^FDQA,${code}^FS` : `^BXN,6,200^FD${code}^FS`;
  const layout = spec.zpl ?? DEFAULT_LABEL_ZPL;
  return fill(layout, values, barcode)
    .split('\n')
    .filter((line) => !/\^FD(?:IMEI |S\/N )?\^FS/.test(line)) // a field with no value leaves no line
    .join('\n');
}

/** A layout's placeholders must be ones the station knows: a typo is refused when the type is saved. */
export function unknownPlaceholders(text: string): string[] {
  return [...text.matchAll(/\{([^}]*)\}/g)].map((m) => m[1]!).filter((p) => !PLACEHOLDERS.includes(p as never));
}

function fill(text: string, values: LabelValues, code = ''): string {
  const unknown = unknownPlaceholders(text);
  if (unknown.length > 0)
    throw new EnrollerError('LABEL_TEMPLATE_INVALID', `The label names unknown fields: {${unknown.join('}, {')}}.`);
  return text.replace(/\{(\w+)\}/g, (_, name: string) =>
    name === 'code' ? code : clean(values[name as keyof LabelValues] ?? ''),
  );
}

function clean(value: string): string {
  return value.replace(/[\^~\r\n]/g, '');
}
