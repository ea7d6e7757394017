// What the PKI team takes away after the factory (#19): certificates about to expire, and the
// revocations only a remote service can make; and what each modem is (#21): devinfo (model,
// firmware, as nrfcredstore's device-info file) and nrfcloud-claim (the %ATTESTTOKEN nRF Cloud
// claims a device with). CSV with a header for people and spreadsheets; one JSON object per line
// for line automation.
import { reasonName } from '../../../shared/revocation';
import type { Db } from '../../store/database';
import { DeviceRecords } from '../../store/device-records';
import { Revocations } from '../../store/revocations';
import type { AuditLog } from '../../store/audit-log';
import { csvField } from '../exports';

export type LifecycleFormat = 'expiring' | 'revocation-requests' | 'devinfo' | 'nrfcloud-claim';
export const LIFECYCLE_FORMATS: readonly LifecycleFormat[] = [
  'expiring',
  'revocation-requests',
  'devinfo',
  'nrfcloud-claim',
];

export function lifecycleRows(
  db: Db,
  audit: AuditLog,
  format: LifecycleFormat,
  options: { withinDays?: number; now?: Date } = {},
): Array<Record<string, string | null>> {
  if (format === 'expiring') {
    const now = options.now ?? new Date();
    const until = new Date(now.getTime() + (options.withinDays ?? 30) * 86_400_000);
    return new DeviceRecords(db).expiring(until).map((c) => ({ ...c }));
  }
  if (format === 'devinfo' || format === 'nrfcloud-claim') return modemRows(db, format);
  return new Revocations(db, audit).requests().map((r) => ({
    deviceId: r.deviceId,
    serial: r.serial,
    issuer: r.issuer,
    profile: r.profile,
    reason: reasonName(r.reason) ?? String(r.reason),
    note: r.note,
    requestedBy: r.requestedBy,
    requestedAt: r.requestedAt,
  }));
}

/** Modems with what they said they are; for claiming, only those that gave an attestation token. */
function modemRows(db: Db, format: 'devinfo' | 'nrfcloud-claim'): Array<Record<string, string | null>> {
  const modems = new DeviceRecords(db).list().filter((d) => d.imei !== null);
  if (format === 'devinfo')
    return modems.map((d) => ({
      deviceId: d.deviceId,
      imei: d.imei,
      uuid: d.uuid,
      model: d.model,
      firmware: d.firmware,
      mode: d.mode,
    }));
  return modems
    .filter((d) => d.attestationToken !== null)
    .map((d) => ({ deviceId: d.deviceId, imei: d.imei, uuid: d.uuid, claimToken: d.attestationToken }));
}

/** Rows as CSV with a header line (the columns of the format, in order), or JSON lines. */
export function formatRows(
  rows: Array<Record<string, string | null>>,
  columns: readonly string[],
  json: boolean,
): string {
  if (json) return rows.map((r) => `${JSON.stringify(r)}\n`).join('');
  const lines = [columns.join(','), ...rows.map((r) => columns.map((c) => csvField(r[c] ?? '')).join(','))];
  return `${lines.join('\r\n')}\r\n`;
}

export const LIFECYCLE_COLUMNS: Record<LifecycleFormat, readonly string[]> = {
  expiring: ['deviceId', 'serial', 'notAfter', 'profile', 'mode'],
  'revocation-requests': ['deviceId', 'serial', 'issuer', 'profile', 'reason', 'note', 'requestedBy', 'requestedAt'],
  devinfo: ['deviceId', 'imei', 'uuid', 'model', 'firmware', 'mode'],
  'nrfcloud-claim': ['deviceId', 'imei', 'uuid', 'claimToken'],
};
