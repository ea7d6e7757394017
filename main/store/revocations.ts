// Revocation on the ledger (#19): a certificate the station CA issued is marked revoked with its
// time and RFC 5280 reason, beside its audit row, in the caller's commit (or its own); the next CRL
// and every OCSP answer read it from here, so a kill -9 after the commit loses nothing. A
// certificate a remote service issued cannot be revoked here: the request to its operator is kept.
import { EnrollerError } from '../../shared/errors';
import { reasonName } from '../../shared/revocation';
import type { CertificateStatus } from '../pki/ocsp/ocsp-responder';
import type { AuditLog } from './audit-log';
import type { Db } from './database';
import { immediately } from './immediately';
import { prepared } from './prepared';

export interface RevokedCertificate {
  readonly serial: string;
  readonly deviceId: string;
  readonly reason: number;
  readonly revokedAt: string;
}

export interface RevocationRequest {
  readonly deviceId: string;
  readonly serial: string;
  readonly issuer: string;
  readonly profile: string | null;
  readonly reason: number;
  readonly note: string;
  readonly requestedBy: string;
  readonly requestedAt: string;
}

/** A certificate the device held, as the job that wrote it recorded it. */
export interface HeldCertificate {
  readonly deviceId: string;
  readonly serial: string;
  readonly issuer: string;
  readonly profile: string | null;
}

interface LedgerRow {
  serial: string;
  device_id: string;
  status: 'reserved' | 'issued' | 'revoked';
  revoked_at: string | null;
  revocation_reason: number | null;
}

/** Serials as people type them: any case, colons or spaces between bytes, a leading 00. */
export function normalizeSerial(text: string): string {
  const hex = text.replace(/[\s:]/g, '').toLowerCase();
  if (!/^[0-9a-f]{1,64}$/.test(hex)) {
    throw new EnrollerError('REVOKE_SERIAL_UNKNOWN', `"${text}" is not a serial number (hexadecimal digits).`);
  }
  return hex.replace(/^(00)+(?=[0-9a-f])/, '');
}

export class Revocations {
  readonly #db: Db;
  readonly #audit: AuditLog;

  constructor(db: Db, audit: AuditLog) {
    this.#db = db;
    this.#audit = audit;
  }

  /** Revokes a certificate the station CA issued; every refusal names why. */
  revoke(serialText: string, reason: number, actor: string, at = new Date()): RevokedCertificate {
    if (!reasonName(reason)) {
      throw new EnrollerError('REVOKE_REASON_INVALID', `${reason} is not an RFC 5280 revocation reason code.`);
    }
    const serial = normalizeSerial(serialText);
    return immediately(this.#db, () => {
      const row = this.#ledgerRow(serial);
      if (!row || row.status === 'reserved') throw this.#notHere(serial);
      if (row.status === 'revoked') {
        throw new EnrollerError(
          'REVOKE_ALREADY_REVOKED',
          `Certificate ${serial} of ${row.device_id} was already revoked on ${row.revoked_at} ` +
            `(${reasonName(row.revocation_reason ?? 0)}).`,
          { serial, deviceId: row.device_id, revokedAt: row.revoked_at, reason: row.revocation_reason },
        );
      }
      const revokedAt = at.toISOString();
      prepared(
        this.#db,
        "UPDATE certificates SET status = 'revoked', revoked_at = ?, revocation_reason = ? WHERE serial = ? AND " +
          "status = 'issued'",
      ).run(revokedAt, reason, serial);
      const said = { serial, reason: reasonName(reason) };
      this.#audit.append('certificate.revoked', row.device_id, said, actor, at);
      return { serial, deviceId: row.device_id, reason, revokedAt };
    });
  }

  /** Records that the service which issued `held` should revoke it (once per certificate). */
  request(held: HeldCertificate, reason: number, note: string, actor: string, at = new Date()): boolean {
    return immediately(this.#db, () => {
      const added = prepared(
        this.#db,
        `INSERT INTO revocation_requests (device_id, serial, issuer, profile, reason, note, requested_by, requested_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (issuer, serial) DO NOTHING`,
      ).run(held.deviceId, held.serial, held.issuer, held.profile, reason, note, actor, at.toISOString()).changes;
      if (added) {
        const details = { serial: held.serial, issuer: held.issuer, reason: reasonName(reason), note };
        this.#audit.append('revocation.requested', held.deviceId, details, actor, at);
      }
      return added > 0;
    });
  }

  /**
   * The certificate a device held before it was provisioned again on purpose: revoked as
   * superseded when the station CA issued it, else a request to its service. Run inside the commit
   * that records the new certificate.
   */
  supersede(held: HeldCertificate, actor: string): void {
    const row = this.#ledgerRow(normalizeSerial(held.serial));
    if (row?.status === 'revoked') return;
    const superseded = 4;
    if (row?.status === 'issued') this.revoke(held.serial, superseded, actor);
    else this.request(held, superseded, 'superseded: the device was provisioned again with a new key', actor);
  }

  /** What an OCSP responder says about a serial of this issuer: good, revoked (when, why), or unknown. */
  statusOf(serial: string, issuerFingerprint: string): CertificateStatus {
    const row = prepared<[string, string], LedgerRow>(
      this.#db,
      'SELECT serial, device_id, status, revoked_at, revocation_reason FROM certificates ' +
        'WHERE issuer_fingerprint = ? AND serial = ?',
    ).get(issuerFingerprint, serial);
    if (row?.status === 'issued') return { status: 'good' };
    if (row?.status === 'revoked') {
      return { status: 'revoked', revokedAt: new Date(row.revoked_at!), reason: row.revocation_reason ?? 0 };
    }
    return { status: 'unknown' };
  }

  /** Whether the station CA revoked this certificate. */
  isRevoked(serial: string): boolean {
    return this.#ledgerRow(normalizeSerial(serial))?.status === 'revoked';
  }

  requests(): RevocationRequest[] {
    return prepared<[], Record<string, string | number | null>>(
      this.#db,
      'SELECT * FROM revocation_requests ORDER BY id',
    )
      .all()
      .map((r) => ({
        deviceId: String(r.device_id),
        serial: String(r.serial),
        issuer: String(r.issuer),
        profile: r.profile === null ? null : String(r.profile),
        reason: Number(r.reason),
        note: String(r.note),
        requestedBy: String(r.requested_by),
        requestedAt: String(r.requested_at),
      }));
  }

  #ledgerRow(serial: string): LedgerRow | undefined {
    return prepared<[string], LedgerRow>(
      this.#db,
      'SELECT serial, device_id, status, revoked_at, revocation_reason FROM certificates WHERE serial = ? ' +
        "AND kind != 'verification'",
    ).get(serial);
  }

  #notHere(serial: string): EnrollerError {
    const job = prepared<[string], { device_id: string; cert_issuer: string | null }>(
      this.#db,
      'SELECT device_id, cert_issuer FROM jobs WHERE cert_serial = ? ORDER BY id DESC LIMIT 1',
    ).get(serial);
    if (job) {
      return new EnrollerError(
        'REVOKE_NOT_STATION_ISSUED',
        `Certificate ${serial} of ${job.device_id} was issued by a remote service (${job.cert_issuer}), not by the ` +
          `station CA: only that service can revoke it. \`device disable ${job.device_id}\` records the request ` +
          `for its operator.`,
        { serial, deviceId: job.device_id, issuer: job.cert_issuer },
      );
    }
    return new EnrollerError(
      'REVOKE_SERIAL_UNKNOWN',
      `The station CA never issued a certificate with serial ${serial}.`,
      {
        serial,
      },
    );
  }
}
