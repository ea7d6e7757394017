// The station's labels: which printer (a setting, audited), the values a device's label shows
// (from its record), printing one after a device is enrolled — a failed print is recorded and
// shown, never a failed device — and the on-screen preview.
import type { PrinterSetting } from '../../shared/contract';
import type { DeviceTypeDocument } from '../../shared/device-type';
import { EnrollerError, isEnrollerError } from '../../shared/errors';
import type { AuditLog } from '../store/audit-log';
import type { Db } from '../store/database';
import { SettingsStore } from '../store/settings-store';
import { barcodePng } from './label-preview';
import { labelCode, renderLabelZpl, type LabelSpec, type LabelValues } from './label-template';
import { printLabel } from './printer';

const PRINTER_KEY = 'label.printer';

function refuseUnprintable(type: DeviceTypeDocument, printer: PrinterSetting | undefined): void {
  if (!printer)
    throw new EnrollerError('LABEL_PRINT_FAILED', 'No label printer is set: choose one in Settings → Labels.');
  if (!type.label)
    throw new EnrollerError(
      'LABEL_PRINT_FAILED',
      `Device type ${type.name} prints no label: add a "label" to it (barcode, content, optional ZPL).`,
    );
}

export interface LabelPreview {
  readonly zpl: string;
  readonly code: string;
  /** The barcode as a PNG, base64. */
  readonly png: string;
  readonly lines: string[];
}

/** What a label shows before any device exists: a preview or a test print. */
export const SAMPLE_LABEL: LabelValues = {
  deviceId: 'nrf-352656100123458',
  imei: '352656100123458',
  petName: 'amber-falcon',
  serial: 'SN-0001',
};

/** A device type without its own label previews the built-in one. */
export const DEFAULT_LABEL: LabelSpec = { barcode: 'qr', content: '{deviceId}' };

export class LabelDesk {
  readonly #db: Db;
  readonly #audit: AuditLog;
  readonly #settings: SettingsStore;

  constructor(db: Db, audit: AuditLog) {
    this.#db = db;
    this.#audit = audit;
    this.#settings = new SettingsStore(db);
  }

  get printer(): PrinterSetting | undefined {
    return this.#settings.get<PrinterSetting>(PRINTER_KEY);
  }

  setPrinter(printer: PrinterSetting | undefined, actor: string): void {
    this.#db
      .transaction(() => {
        this.#settings.put(PRINTER_KEY, printer);
        this.#audit.append('label.printer', printer?.kind ?? 'none', { ...printer }, actor);
      })
      .immediate();
  }

  /** What a device's label says, from its record (and what the job knew). */
  valuesFor(deviceId: string, known: Partial<LabelValues> = {}): LabelValues {
    const row = this.#db
      .prepare<[string], { imei: string | null; serial: string | null; pet_name: string | null }>(
        'SELECT imei, serial, pet_name FROM devices WHERE device_id = ?',
      )
      .get(deviceId);
    return {
      deviceId,
      imei: known.imei ?? row?.imei ?? undefined,
      serial: known.serial ?? row?.serial ?? undefined,
      petName: known.petName ?? row?.pet_name ?? undefined,
      certSerial: known.certSerial,
    };
  }

  /**
   * Prints the device type's label: undefined when it has none or no printer is set. After a
   * device is enrolled a failure is recorded, not thrown; asked for by a person (`strict`), the
   * reason is thrown to them.
   */
  async printFor(
    type: DeviceTypeDocument,
    values: LabelValues,
    actor: string,
    options: { strict?: boolean } = {},
  ): Promise<'printed' | 'failed' | undefined> {
    const printer = this.printer;
    if (options.strict) refuseUnprintable(type, printer);
    if (!type.label || !printer) return undefined;
    try {
      await printLabel(printer, renderLabelZpl(type.label, values));
      this.#audit.append('label.printed', values.deviceId, { printer: printer.kind }, actor);
      return 'printed';
    } catch (error) {
      const code = isEnrollerError(error) ? error.code : 'LABEL_PRINT_FAILED';
      const message = (error as Error).message;
      this.#audit.append('label.failed', values.deviceId, { printer: printer.kind, code, message }, actor);
      if (options.strict) throw error;
      return 'failed';
    }
  }

  async preview(spec: LabelSpec, values: LabelValues): Promise<LabelPreview> {
    const code = labelCode(spec, values);
    const png = await barcodePng(spec, code);
    const lines = [
      values.petName,
      values.deviceId,
      values.imei && `IMEI ${values.imei}`,
      values.serial && `S/N ${values.serial}`,
    ].filter((line): line is string => Boolean(line));
    return { zpl: renderLabelZpl(spec, values), code, png: png.toString('base64'), lines };
  }
}
