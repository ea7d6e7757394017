// The authority's ledger on SQLite: reservations, completions, revocations and CRL numbers,
// each committed with its audit row in one transaction (synchronous=FULL: on disk on return; in a
// provision run of its own, on disk before the certificate can leave: wal-sync.ts).
import { EnrollerError } from '../../shared/errors';
import type { IssuanceLedger, IssuanceRecord, Reservation, RevokedEntry } from '../pki/authority/ledger';
import type { AuditLog } from './audit-log';
import type { Db } from './database';
import { immediately } from './immediately';
import { Revocations } from './revocations';
import { DeviceRecords, disabled } from './device-records';
import { prepared } from './prepared';

interface Row {
  serial: string;
  issuer_fingerprint: string;
  device_id: string;
  csr_sha256: string;
  key_fingerprint: string;
  kind: IssuanceRecord['kind'];
  status: IssuanceRecord['status'];
  der: Buffer | null;
}

export class SqliteIssuanceLedger implements IssuanceLedger {
  readonly #db: Db;
  readonly #audit: AuditLog;
  readonly #devices: DeviceRecords;
  // Prepared once: issuance is the station's hot path.
  readonly #byCsr;
  readonly #serialTaken;
  readonly #keyOwner;
  readonly #bindKey;
  readonly #insertReservation;
  readonly #reserved;
  readonly #store;

  constructor(db: Db, audit: AuditLog) {
    this.#db = db;
    this.#audit = audit;
    this.#devices = new DeviceRecords(db);
    this.#byCsr = prepared<[string, string], Row>(
      db,
      "SELECT * FROM certificates WHERE issuer_fingerprint = ? AND csr_sha256 = ? AND kind != 'verification'",
    );
    this.#serialTaken = prepared<[string, string], { 1: number }>(
      db,
      'SELECT 1 FROM certificates WHERE issuer_fingerprint = ? AND serial = ?',
    );
    this.#keyOwner = prepared<[string], { device_id: string }>(
      db,
      'SELECT device_id FROM device_keys WHERE key_fingerprint = ?',
    );
    this.#bindKey = prepared(db, 'INSERT INTO device_keys (key_fingerprint, device_id, first_seen) VALUES (?, ?, ?)');
    this.#insertReservation = prepared(
      db,
      `INSERT INTO certificates (serial, issuer_fingerprint, device_id, csr_sha256, key_fingerprint, kind, status,
         created_at)
       VALUES (?, ?, ?, ?, ?, ?, 'reserved', ?)`,
    );
    this.#reserved = prepared<[string], Row>(db, "SELECT * FROM certificates WHERE serial = ? AND status = 'reserved'");
    this.#store = prepared(
      db,
      "UPDATE certificates SET der = ?, not_before = ?, not_after = ?, status = 'issued' WHERE serial = ? AND " +
        'issuer_fingerprint = ?',
    );
  }

  findByCsr(issuerFingerprint: string, csrSha256: string): IssuanceRecord | undefined {
    const row = this.#byCsr.get(issuerFingerprint, csrSha256);
    return row ? toRecord(row) : undefined;
  }

  reserve(reservation: Reservation): boolean {
    return immediately(this.#db, () => {
      const taken = this.#serialTaken.get(reservation.issuerFingerprint, reservation.serial);
      if (taken) return false;
      const now = new Date().toISOString();
      if (reservation.kind === 'birth' || reservation.kind === 'operational') {
        const device = this.#devices.get(reservation.deviceId);
        if (device?.mode === 'DISABLED') throw disabled(device);
      }
      if (reservation.kind !== 'verification') {
        const owner = this.#keyOwner.get(reservation.keyFingerprint);
        if (owner && owner.device_id !== reservation.deviceId) {
          throw new EnrollerError(
            'CSR_DUPLICATE_KEY',
            `This public key already belongs to device ${owner.device_id}; two devices never share a key (a cloned ` +
              `or test key?).`,
            { owner: owner.device_id, deviceId: reservation.deviceId },
          );
        }
        if (!owner) this.#bindKey.run(reservation.keyFingerprint, reservation.deviceId, now);
      }
      this.#insertReservation.run(
        reservation.serial,
        reservation.issuerFingerprint,
        reservation.deviceId,
        reservation.csrSha256,
        reservation.keyFingerprint,
        reservation.kind,
        now,
      );
      this.#audit.append('certificate.reserved', reservation.deviceId, {
        serial: reservation.serial,
        csrSha256: reservation.csrSha256,
        kind: reservation.kind,
      });
      return true;
    });
  }

  complete(serial: string, der: Uint8Array, notBefore: Date, notAfter: Date): void {
    immediately(this.#db, () => {
      const row = this.#reserved.get(serial);
      if (!row) throw new EnrollerError('CA_CERTIFICATE_NOT_FOUND', `No reservation for serial ${serial}.`);
      this.#store.run(
        Buffer.from(der),
        notBefore.toISOString(),
        notAfter.toISOString(),
        serial,
        row.issuer_fingerprint,
      );
      this.#audit.append('certificate.issued', row.device_id, {
        serial,
        kind: row.kind,
        notAfter: notAfter.toISOString(),
      });
    });
  }

  revoke(serial: string, reason: number, at: Date): void {
    new Revocations(this.#db, this.#audit).revoke(serial, reason, 'station', at);
  }

  revokedBy(issuerFingerprint: string): RevokedEntry[] {
    return this.#db
      .prepare<[string], { serial: string; revoked_at: string; revocation_reason: number }>(
        'SELECT serial, revoked_at, revocation_reason FROM certificates WHERE issuer_fingerprint = ? AND status = ' +
          "'revoked' ORDER BY revoked_at",
      )
      .all(issuerFingerprint)
      .map((r) => ({ serial: r.serial, revokedAt: new Date(r.revoked_at), reason: r.revocation_reason }));
  }

  nextCrlNumber(issuerFingerprint: string): number {
    return immediately(this.#db, () => {
      this.#db
        .prepare(
          'INSERT INTO crl_numbers (issuer_fingerprint, number) VALUES (?, 1) ON CONFLICT(issuer_fingerprint) DO ' +
            'UPDATE SET number = number + 1',
        )
        .run(issuerFingerprint);
      const { number } = this.#db
        .prepare<[string], { number: number }>('SELECT number FROM crl_numbers WHERE issuer_fingerprint = ?')
        .get(issuerFingerprint)!;
      this.#audit.append('crl.numbered', issuerFingerprint, { number });
      return number;
    });
  }
}

function toRecord(row: Row): IssuanceRecord {
  return {
    serial: row.serial,
    issuerFingerprint: row.issuer_fingerprint,
    deviceId: row.device_id,
    csrSha256: row.csr_sha256,
    keyFingerprint: row.key_fingerprint,
    kind: row.kind,
    status: row.status,
    der: row.der ? new Uint8Array(row.der) : undefined,
  };
}
