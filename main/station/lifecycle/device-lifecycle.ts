// A device's life after the factory (#19), as a supervisor changes it: disabled (its station-CA
// certificates revoked, a request recorded for each a remote service issued, and no certificate
// issued to its ID again until it is enabled), enabled, or set back to factory mode (its next
// provision issues a birth certificate). Each change is one commit with its audit rows.
import { EnrollerError } from '../../../shared/errors';
import { REVOCATION_REASONS, type ChosenReason } from '../../../shared/revocation';
import type { AuditLog } from '../../store/audit-log';
import type { Db } from '../../store/database';
import { DeviceRecords, disabled, type DeviceRecord } from '../../store/device-records';
import { immediately } from '../../store/immediately';
import { prepared } from '../../store/prepared';
import { Revocations } from '../../store/revocations';

export interface DisableResult {
  readonly deviceId: string;
  readonly mode: 'DISABLED';
  /** Serials the station CA revoked now. */
  readonly revoked: string[];
  /** Serials a remote service issued: a revocation request for its operator was recorded. */
  readonly requested: string[];
}

export class DeviceLifecycle {
  readonly #db: Db;
  readonly #audit: AuditLog;
  readonly #records: DeviceRecords;
  readonly #revocations: Revocations;

  constructor(db: Db, audit: AuditLog) {
    this.#db = db;
    this.#audit = audit;
    this.#records = new DeviceRecords(db);
    this.#revocations = new Revocations(db, audit);
  }

  disable(deviceId: string, reason: string, revokeReason: ChosenReason, actor: string): DisableResult {
    if (!reason.trim()) throw new EnrollerError('APPROVAL_INVALID', 'Say why the device is disabled (--reason).');
    const code = REVOCATION_REASONS[revokeReason];
    return immediately(this.#db, () => {
      this.#existing(deviceId);
      const revoked: string[] = [];
      const requested: string[] = [];
      for (const certificate of this.#records.certificates(deviceId)) {
        if (certificate.status === 'issued') {
          revoked.push(this.#revocations.revoke(certificate.serial, code, actor).serial);
        } else if (certificate.status === 'issued-by-service') {
          const held = {
            deviceId,
            serial: certificate.serial,
            issuer: certificate.issuer,
            profile: certificate.profile,
          };
          this.#revocations.request(held, code, reason, actor);
          requested.push(certificate.serial);
        }
      }
      this.#setMode(deviceId, 'DISABLED', reason, null);
      this.#audit.append('device.disabled', deviceId, { reason, revokeReason, revoked, requested }, actor);
      return { deviceId, mode: 'DISABLED', revoked, requested };
    });
  }

  /** Issuance allowed again; its certificates stay revoked, so its next provision gets a new one. */
  enable(deviceId: string, actor: string): DeviceRecord {
    return immediately(this.#db, () => {
      const device = this.#existing(deviceId);
      if (device.mode !== 'DISABLED') return device;
      this.#setMode(deviceId, 'NEW', null, null);
      this.#audit.append('device.enabled', deviceId, {}, actor);
      return this.#records.get(deviceId)!;
    });
  }

  /** Back to factory mode: the next provision issues a birth certificate from the station CA. */
  setFactory(deviceId: string, actor: string): DeviceRecord {
    return immediately(this.#db, () => {
      const device = this.#existing(deviceId);
      if (device.mode === 'DISABLED') throw disabled(device);
      this.#setMode(deviceId, 'FACTORY', null, 'birth');
      this.#audit.append('device.set-factory', deviceId, { from: device.mode }, actor);
      return this.#records.get(deviceId)!;
    });
  }

  #existing(deviceId: string): DeviceRecord {
    const device = this.#records.get(deviceId);
    if (!device) {
      throw new EnrollerError('DEVICE_NOT_FOUND', `The station has no device ${deviceId}.`, { deviceId });
    }
    return device;
  }

  #setMode(deviceId: string, mode: string, reason: string | null, next: 'birth' | null): void {
    prepared(
      this.#db,
      'UPDATE devices SET mode = ?, disabled_reason = ?, next_certificate = ?, updated_at = ? WHERE device_id = ?',
    ).run(mode, reason, next, new Date().toISOString(), deviceId);
  }
}
