// The rows a bulk run's fast lane (station/bulk/fresh-lane.ts) leaves for a device the station has
// never met: what the pipeline's steps leave for it (the job with its CSR and certificate, the
// claim on the ID, the device, the key's owner, the ledger's certificate and the audit entries),
// made by a few prepared statements per device instead of a transaction per step. The one
// difference is on the ledger: the lane signs inside the open group commit and records the
// certificate issued in the same commit as its job, so there is no separate reservation entry —
// nothing signed can leave the station before that commit, and a crash before it loses only what
// never left. Both calls run inside the run's open transaction (store/group-commit.ts).
import type { SignedCertificate } from '../pki/authority/ledger';
import type { AuditLog } from './audit-log';
import type { Db } from './database';
import { DeviceClaims } from './device-claims';
import { immediately } from './immediately';

export interface FreshEnrollment {
  readonly file: string;
  readonly deviceId: string;
  readonly deviceType: string;
  readonly profile: string;
  readonly batchId: string;
  readonly csrDer: Uint8Array;
  readonly keyFingerprint: string;
  readonly actor: string;
}

/** Thrown inside the savepoint to undo it: the serial drawn (or the request) is already on the ledger. */
class AlreadyOnLedger extends Error {}

export class FreshRecords {
  readonly #db: Db;
  readonly #audit: AuditLog;
  readonly #claims: DeviceClaims;
  readonly #seen;
  readonly #insertJob;
  readonly #insertDevice;
  readonly #bindKey;
  readonly #insertCertificate;
  readonly #jobDone;
  readonly #deviceMode;

  constructor(db: Db, audit: AuditLog) {
    this.#db = db;
    this.#audit = audit;
    this.#claims = new DeviceClaims(db);
    this.#seen = db.prepare<{ id: string; key: string }, { seen: number }>(
      `SELECT EXISTS (SELECT 1 FROM devices WHERE device_id = @id) OR EXISTS (SELECT 1 FROM jobs WHERE device_id = @id)
         OR EXISTS (SELECT 1 FROM device_claims WHERE device_id = @id) OR EXISTS (SELECT 1 FROM queue WHERE
         device_id = @id) OR EXISTS (SELECT 1 FROM device_keys WHERE key_fingerprint = @key) AS seen`,
    );
    this.#insertJob = db.prepare(
      `INSERT INTO jobs (port, device_type, profile, batch_id, device_id, step, status, csr_der, cert_serial,
         cert_issuer, cert_der, step_times, started_at, updated_at)
       VALUES (?, ?, ?, ?, ?, 'enrolled', 'running', ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#insertDevice = db.prepare(
      "INSERT INTO devices (device_id, device_type, mode, created_at, updated_at) VALUES (?, ?, 'NEW', ?, ?)",
    );
    this.#bindKey = db.prepare('INSERT INTO device_keys (key_fingerprint, device_id, first_seen) VALUES (?, ?, ?)');
    this.#insertCertificate = db.prepare(
      `INSERT OR IGNORE INTO certificates (serial, issuer_fingerprint, device_id, csr_sha256, key_fingerprint, kind,
         status, der, not_before, not_after, created_at)
       VALUES (?, ?, ?, ?, ?, ?, 'issued', ?, ?, ?, ?)`,
    );
    this.#jobDone = db.prepare(
      `UPDATE jobs SET step = 'done', status = 'done', written = ?, updated_at = ?,
         step_times = json_set(step_times, '$.written', ?, '$.verified', ?, '$.done', ?)
       WHERE id = ?`,
    );
    this.#deviceMode = db.prepare(
      'UPDATE devices SET mode = ?, next_certificate = NULL, updated_at = ? WHERE device_id = ?',
    );
  }

  /**
   * The station has never met this device ID nor this key: no device row, job, claim or queue item
   * names the ID, and no device holds the key — nothing to resume, refuse or recognise.
   */
  #neverSeen(deviceId: string, keyFingerprint: string): boolean {
    return this.#seen.get({ id: deviceId, key: keyFingerprint })!.seen === 0;
  }

  /**
   * Identified, approved, its CSR taken and its certificate issued, in one savepoint: the job's id,
   * or undefined with nothing recorded when the device or its key is no longer new, or the serial
   * is taken (the caller leaves the file to the pipeline; the certificate never leaves).
   */
  enrolled(enrollment: FreshEnrollment, certificate: SignedCertificate): number | undefined {
    const { deviceId, keyFingerprint, actor } = enrollment;
    if (!this.#neverSeen(deviceId, keyFingerprint)) return undefined;
    const now = new Date().toISOString();
    try {
      return immediately(this.#db, () => {
        const jobId = this.#openJob(enrollment, certificate, now);
        this.#claims.claim(deviceId, jobId, `file:${enrollment.file}`);
        this.#insertDevice.run(deviceId, enrollment.deviceType, now, now);
        this.#bindKey.run(keyFingerprint, deviceId, now);
        this.#ledger(enrollment, certificate, now);
        const { file } = enrollment;
        const { serial, kind, csrSha256 } = certificate;
        const notAfter = certificate.notAfter.toISOString();
        this.#audit.appendWithin([
          { action: 'device.approved', subject: deviceId, details: { csrFile: file }, actor },
          { action: 'csr.received', subject: deviceId, details: { file, key: keyFingerprint }, actor },
          { action: 'certificate.issued', subject: deviceId, details: { serial, kind, csrSha256, notAfter }, actor },
        ]);
        return jobId;
      });
    } catch (error) {
      if (error instanceof AlreadyOnLedger) return undefined;
      throw error;
    }
  }

  /**
   * Written, verified and done, the device in the mode its certificate puts it in (FACTORY for a
   * birth certificate) and its claim given up, in one savepoint.
   */
  done(
    jobId: number,
    enrollment: FreshEnrollment,
    written: Record<string, string>,
    certificate: Pick<SignedCertificate, 'serial' | 'kind'>,
  ): void {
    const { serial } = certificate;
    const { deviceId, actor } = enrollment;
    const now = new Date().toISOString();
    immediately(this.#db, () => {
      this.#jobDone.run(JSON.stringify(written), now, now, now, now, jobId);
      this.#claims.release(jobId);
      this.#deviceMode.run(certificate.kind === 'birth' ? 'FACTORY' : 'OPERATIONAL', now, deviceId);
      const port = `file:${enrollment.file}`;
      this.#audit.appendWithin([
        { action: 'credentials.written', subject: deviceId, details: { written }, actor },
        { action: 'device.provisioned', subject: deviceId, details: { serial, port }, actor },
      ]);
    });
  }

  #openJob(enrollment: FreshEnrollment, certificate: SignedCertificate, now: string): number {
    const times = JSON.stringify({ detected: now, identified: now, approved: now, csr: now, enrolled: now });
    const { file, deviceType, profile, batchId, deviceId, csrDer } = enrollment;
    const { serial, issuer, der } = certificate;
    // Bytes bind as BLOBs as they are (better-sqlite3 takes any Uint8Array): no copy per certificate.
    const row = [`file:${file}`, deviceType, profile, batchId, deviceId, csrDer, serial, issuer, der, times];
    return Number(this.#insertJob.run(...row, now, now).lastInsertRowid);
  }

  #ledger(enrollment: FreshEnrollment, certificate: SignedCertificate, now: string): void {
    const { serial, issuerFingerprint, csrSha256, kind, der, notBefore, notAfter } = certificate;
    const inserted = this.#insertCertificate.run(
      serial,
      issuerFingerprint,
      enrollment.deviceId,
      csrSha256,
      enrollment.keyFingerprint,
      kind,
      der,
      notBefore.toISOString(),
      notAfter.toISOString(),
      now,
    );
    if (inserted.changes === 0) throw new AlreadyOnLedger();
  }
}
