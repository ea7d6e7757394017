// What the station knows about each device after the factory (#19): its mode, every certificate it
// was given (the station CA's from the ledger with their status; a remote service's from the job
// that wrote it, with any revocation request), its history, and which certificates expire soon.
import { EnrollerError } from '../../shared/errors';
import { reasonName } from '../../shared/revocation';
import { certificateOf } from '../pki/parsed-der';
import type { Db } from './database';
import { prepared } from './prepared';

export const DEVICE_MODES = ['NEW', 'FACTORY', 'OPERATIONAL', 'DISABLED'] as const;
export type DeviceMode = (typeof DEVICE_MODES)[number];

export interface DeviceRecord {
  readonly deviceId: string;
  readonly deviceType: string;
  readonly mode: DeviceMode;
  readonly petName: string | null;
  readonly imei: string | null;
  readonly uuid: string | null;
  /** What the modem said it is (+CGMM, +CGMR) and its %ATTESTTOKEN; null for other devices. */
  readonly model: string | null;
  readonly firmware: string | null;
  readonly attestationToken: string | null;
  readonly disabledReason: string | null;
  /** 'birth' after `device set-factory`, until the next provision issues one. */
  readonly nextCertificate: 'birth' | null;
  readonly updatedAt: string;
}

export interface DeviceCertificate {
  readonly serial: string;
  readonly issuer: string;
  readonly notAfter: string | null;
  readonly kind: string | null;
  /** issued / revoked (station CA); issued-by-service / revocation-requested (a remote service). */
  readonly status: 'issued' | 'revoked' | 'issued-by-service' | 'revocation-requested';
  readonly revokedAt: string | null;
  readonly reason: string | null;
  readonly profile: string | null;
}

export interface HistoryEntry {
  readonly at: string;
  readonly actor: string;
  readonly action: string;
  readonly details: Record<string, unknown>;
}

export interface ExpiringCertificate {
  readonly deviceId: string;
  readonly serial: string;
  readonly notAfter: string;
  readonly profile: string | null;
  readonly mode: DeviceMode;
}

interface DeviceRow {
  device_id: string;
  device_type: string;
  mode: DeviceMode;
  pet_name: string | null;
  imei: string | null;
  uuid: string | null;
  model: string | null;
  firmware: string | null;
  attestation_token: string | null;
  disabled_reason: string | null;
  next_certificate: 'birth' | null;
  updated_at: string;
}

const toRecord = (r: DeviceRow): DeviceRecord => ({
  deviceId: r.device_id,
  deviceType: r.device_type,
  mode: r.mode,
  petName: r.pet_name,
  imei: r.imei,
  uuid: r.uuid,
  model: r.model,
  firmware: r.firmware,
  attestationToken: r.attestation_token,
  disabledReason: r.disabled_reason,
  nextCertificate: r.next_certificate,
  updatedAt: r.updated_at,
});

const DEVICE_COLUMNS =
  'd.device_id, d.device_type, d.mode, d.pet_name, d.imei, d.uuid, d.model, d.firmware, d.attestation_token, ' +
  'd.disabled_reason, d.next_certificate, d.updated_at';

export class DeviceRecords {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  get(deviceId: string): DeviceRecord | undefined {
    const row = prepared<[string], DeviceRow>(
      this.#db,
      `SELECT ${DEVICE_COLUMNS} FROM devices d WHERE d.device_id = ?`,
    ).get(deviceId);
    return row ? toRecord(row) : undefined;
  }

  /** Devices by mode, or found by ID, IMEI, pet name or certificate serial (any part of them). */
  list(filter: { mode?: DeviceMode | undefined; search?: string | undefined } = {}): DeviceRecord[] {
    const like = filter.search
      ? `%${filter.search
          .trim()
          .toLowerCase()
          .replace(/[%_\\]/g, '\\$&')}%`
      : null;
    return prepared<[{ mode: string | null; like: string | null }], DeviceRow>(
      this.#db,
      `SELECT ${DEVICE_COLUMNS} FROM devices d
        WHERE (@mode IS NULL OR d.mode = @mode)
          AND (@like IS NULL OR lower(d.device_id) LIKE @like ESCAPE '\\'
            OR lower(coalesce(d.imei, '')) LIKE @like ESCAPE '\\'
            OR lower(coalesce(d.pet_name, '')) LIKE @like ESCAPE '\\'
            OR EXISTS (SELECT 1 FROM certificates c WHERE c.device_id = d.device_id AND c.serial LIKE @like ESCAPE '\\')
            OR EXISTS (SELECT 1 FROM jobs j
                        WHERE j.device_id = d.device_id AND lower(j.cert_serial) LIKE @like ESCAPE '\\'))
        ORDER BY d.device_id`,
    )
      .all({ mode: filter.mode ?? null, like })
      .map(toRecord);
  }

  /** Every certificate the device was given, newest first. */
  certificates(deviceId: string): DeviceCertificate[] {
    const fromStation = prepared<[string], StationCertRow>(
      this.#db,
      `SELECT c.serial, c.kind, c.status, c.der, c.not_after, c.revoked_at, c.revocation_reason,
              (SELECT j.profile FROM jobs j WHERE j.cert_serial = c.serial ORDER BY j.id DESC LIMIT 1) AS profile
         FROM certificates c
        WHERE c.device_id = ? AND c.status != 'reserved' AND c.kind IN ('birth', 'operational')
        ORDER BY c.created_at DESC`,
    )
      .all(deviceId)
      .map(stationCertificate);
    const known = new Set(fromStation.map((c) => c.serial));
    const fromServices = this.#serviceCertificates(deviceId).filter((c) => !known.has(c.serial));
    return [...fromStation, ...fromServices];
  }

  /** The device's audit rows, oldest first. */
  history(deviceId: string): HistoryEntry[] {
    return prepared<[string], { at: string; actor: string; action: string; details: string }>(
      this.#db,
      'SELECT at, actor, action, details FROM audit_log WHERE subject = ? ORDER BY seq',
    )
      .all(deviceId)
      .map((r) => ({ at: r.at, actor: r.actor, action: r.action, details: JSON.parse(r.details) }));
  }

  /** Live certificates whose notAfter falls before `until` (soonest first). */
  expiring(until: Date): ExpiringCertificate[] {
    const station = prepared<[string], { device_id: string; serial: string; not_after: string; mode: DeviceMode }>(
      this.#db,
      `SELECT c.device_id, c.serial, c.not_after, coalesce(d.mode, 'NEW') AS mode
         FROM certificates c LEFT JOIN devices d ON d.device_id = c.device_id
        WHERE c.status = 'issued' AND c.kind IN ('birth', 'operational') AND c.not_after <= ?`,
    ).all(until.toISOString());
    const fromStation = station.map((r) => ({
      deviceId: r.device_id,
      serial: r.serial,
      notAfter: r.not_after,
      profile: this.#profileOf(r.serial),
      mode: r.mode,
    }));
    const due = (c: DeviceCertificate) =>
      c.status === 'issued-by-service' && c.notAfter !== null && c.notAfter <= until.toISOString();
    const fromServices = prepared<[], { device_id: string }>(
      this.#db,
      "SELECT DISTINCT device_id FROM jobs WHERE status = 'done' AND cert_der IS NOT NULL",
    )
      .all()
      .flatMap(({ device_id: deviceId }) =>
        this.#serviceCertificates(deviceId)
          .filter(due)
          .map((c) => ({
            deviceId,
            serial: c.serial,
            notAfter: c.notAfter!,
            profile: c.profile,
            mode: this.get(deviceId)?.mode ?? 'NEW',
          })),
      );
    return [...fromStation, ...fromServices].sort((a, b) => a.notAfter.localeCompare(b.notAfter));
  }

  /** Certificates recorded by jobs that the station CA did not issue (a remote service's). */
  #serviceCertificates(deviceId: string): DeviceCertificate[] {
    const rows = prepared<[string], ServiceCertRow>(
      this.#db,
      `SELECT j.cert_serial, j.cert_issuer, j.cert_der, j.profile, r.reason, r.requested_at
         FROM jobs j LEFT JOIN revocation_requests r ON r.serial = j.cert_serial
        WHERE j.device_id = ? AND j.status = 'done' AND j.cert_der IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM certificates c WHERE c.serial = j.cert_serial)
        ORDER BY j.id DESC`,
    ).all(deviceId);
    const seen = new Set<string>();
    return rows.flatMap((r) => {
      if (!r.cert_serial || seen.has(r.cert_serial)) return [];
      seen.add(r.cert_serial);
      return [serviceCertificate(r)];
    });
  }

  #profileOf(serial: string): string | null {
    return (
      prepared<[string], { profile: string }>(
        this.#db,
        'SELECT profile FROM jobs WHERE cert_serial = ? ORDER BY id DESC LIMIT 1',
      ).get(serial)?.profile ?? null
    );
  }
}

interface StationCertRow {
  serial: string;
  kind: string;
  status: 'issued' | 'revoked';
  der: Buffer | null;
  not_after: string | null;
  revoked_at: string | null;
  revocation_reason: number | null;
  profile: string | null;
}

function stationCertificate(r: StationCertRow): DeviceCertificate {
  return {
    serial: r.serial,
    issuer: r.der ? certificateOf(new Uint8Array(r.der)).issuer : '',
    notAfter: r.not_after,
    kind: r.kind,
    status: r.status,
    revokedAt: r.revoked_at,
    reason: r.revocation_reason === null ? null : (reasonName(r.revocation_reason) ?? String(r.revocation_reason)),
    profile: r.profile,
  };
}

interface ServiceCertRow {
  cert_serial: string | null;
  cert_issuer: string | null;
  cert_der: Buffer;
  profile: string;
  reason: number | null;
  requested_at: string | null;
}

function serviceCertificate(r: ServiceCertRow): DeviceCertificate {
  const requested = r.requested_at !== null;
  return {
    serial: r.cert_serial!,
    issuer: r.cert_issuer ?? '',
    notAfter: certificateOf(new Uint8Array(r.cert_der)).notAfter.toISOString(),
    kind: null,
    status: requested ? 'revocation-requested' : 'issued-by-service',
    revokedAt: null,
    reason: requested ? (reasonName(r.reason ?? 0) ?? null) : null,
    profile: r.profile,
  };
}

/** The refusal for anything that would issue to a disabled device. */
export function disabled(device: Pick<DeviceRecord, 'deviceId' | 'disabledReason'>): EnrollerError {
  return new EnrollerError(
    'DEVICE_DISABLED',
    `${device.deviceId} is disabled (${device.disabledReason ?? 'no reason given'}): the station issues it nothing ` +
      `until a supervisor runs \`enroller device enable ${device.deviceId}\`.`,
    { deviceId: device.deviceId },
  );
}
