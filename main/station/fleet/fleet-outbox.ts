// The station's side of replication (#23): triggers put every change the fleet must hear of into
// `fleet_outbox` in the same commit as the change, so nothing committed can be missed, and the
// sync reads each changed row as it is now (a row changed five times is sent once).
import crypto from 'node:crypto';
import { csrPublicKey } from '../../pki/public-key-of';
import type { Db } from '../../store/database';

/** The triggers, made when the station joins: a station outside a fleet pays nothing for them. */
const TRIGGERS = `
CREATE TRIGGER IF NOT EXISTS fleet_device_added AFTER INSERT ON devices
  BEGIN INSERT INTO fleet_outbox (kind, key) VALUES ('device', NEW.device_id); END;
CREATE TRIGGER IF NOT EXISTS fleet_device_changed AFTER UPDATE ON devices
  BEGIN INSERT INTO fleet_outbox (kind, key) VALUES ('device', NEW.device_id); END;
CREATE TRIGGER IF NOT EXISTS fleet_certificate_added AFTER INSERT ON certificates WHEN NEW.status != 'reserved'
  BEGIN INSERT INTO fleet_outbox (kind, key) VALUES ('certificate', NEW.issuer_fingerprint || ' ' || NEW.serial); END;
CREATE TRIGGER IF NOT EXISTS fleet_certificate_changed AFTER UPDATE OF status ON certificates
  WHEN NEW.status != 'reserved'
  BEGIN INSERT INTO fleet_outbox (kind, key) VALUES ('certificate', NEW.issuer_fingerprint || ' ' || NEW.serial); END;
CREATE TRIGGER IF NOT EXISTS fleet_job_added AFTER INSERT ON jobs WHEN NEW.status != 'running'
  BEGIN INSERT INTO fleet_outbox (kind, key) VALUES ('job', NEW.id); END;
CREATE TRIGGER IF NOT EXISTS fleet_job_ended AFTER UPDATE OF status ON jobs
  WHEN NEW.status != 'running' AND NEW.status IS NOT OLD.status
  BEGIN INSERT INTO fleet_outbox (kind, key) VALUES ('job', NEW.id); END;
CREATE TRIGGER IF NOT EXISTS fleet_approval_added AFTER INSERT ON approvals
  BEGIN INSERT INTO fleet_outbox (kind, key) VALUES ('approval', NEW.id); END;
CREATE TRIGGER IF NOT EXISTS fleet_approval_changed AFTER UPDATE OF status ON approvals
  BEGIN INSERT INTO fleet_outbox (kind, key) VALUES ('approval', NEW.id); END;
`;

/** Everything already on the station, owed to the fleet it is joining. */
const BACKFILL = `
INSERT INTO fleet_outbox (kind, key) SELECT 'device', device_id FROM devices;
INSERT INTO fleet_outbox (kind, key)
  SELECT 'certificate', issuer_fingerprint || ' ' || serial FROM certificates WHERE status != 'reserved';
INSERT INTO fleet_outbox (kind, key) SELECT 'job', id FROM jobs WHERE status != 'running';
INSERT INTO fleet_outbox (kind, key) SELECT 'approval', id FROM approvals;
`;

/** Makes the triggers and owes the fleet everything so far, in one commit (a second join adds nothing twice). */
export function startOutbox(db: Db): void {
  db.transaction(() => {
    const joinedBefore = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'fleet_device_added'").get();
    db.exec(TRIGGERS);
    if (!joinedBefore) db.exec(BACKFILL);
  })();
}

export interface DeviceRow {
  device_id: string;
  device_type: string;
  mode: string;
  imei: string | null;
  pet_name: string | null;
  updated_at: string;
}
export interface CertificateRow {
  issuer: string;
  serial: string;
  device_id: string;
  key_sha256: string;
  kind: string;
  status: string;
  not_after: string | null;
  revoked_at: string | null;
  created_at: string;
}
export interface JobRow {
  job_id: number;
  device_id: string | null;
  batch_id: string | null;
  profile: string;
  status: string;
  step: string;
  error_code: string | null;
  cert_serial: string | null;
  updated_at: string;
}
export interface ApprovalRow {
  approval_id: number;
  device_id: string;
  pet_name: string;
  status: string;
  created_at: string;
}
/** A certificate a job delivered: the device ID it claims in the fleet, with its key. */
export interface HeldRow {
  device_id: string;
  key_sha256: string;
  serial: string;
}

/** One slice of the outbox, read as the rows are now; `through` is the last outbox ID it covers. */
export interface OutboxBatch {
  readonly through: number;
  readonly changes: number;
  readonly devices: DeviceRow[];
  readonly certificates: CertificateRow[];
  readonly jobs: JobRow[];
  readonly approvals: ApprovalRow[];
  readonly held: HeldRow[];
}

export function pendingCount(db: Db, after: number): number {
  return (db.prepare('SELECT count(*) AS n FROM fleet_outbox WHERE id > ?').get(after) as { n: number }).n;
}

/**
 * Up to `limit` outbox rows after `after`, as the rows they name are now (each once), or undefined
 * when there are none.
 */
export function readBatch(db: Db, after: number, limit: number): OutboxBatch | undefined {
  const slice = db
    .prepare<[number, number], { through: number | null; changes: number }>(
      'SELECT max(id) AS through, count(*) AS changes FROM ' +
        '(SELECT id FROM fleet_outbox WHERE id > ? ORDER BY id LIMIT ?)',
    )
    .get(after, limit)!;
  if (slice.through === null) return undefined;
  const range = [after, slice.through] as const;
  const jobs = read<JobRow & { csr_der: Buffer | null }>(db, JOBS, range);
  return {
    through: slice.through,
    changes: slice.changes,
    devices: read<DeviceRow>(db, DEVICES, range),
    certificates: read<CertificateRow>(db, CERTIFICATES, range),
    jobs: jobs.map(({ csr_der: _csr, ...job }) => job),
    approvals: read<ApprovalRow>(db, APPROVALS, range),
    held: jobs.filter((j) => j.status === 'done' && j.cert_serial && j.device_id && j.csr_der).map(heldBy),
  };
}

/** Outbox rows the fleet has (its cursor moved past them in the commit that took them). */
export function forget(db: Db, through: number): void {
  db.prepare('DELETE FROM fleet_outbox WHERE id <= ?').run(through);
}

/** The keys of one kind changed in the slice (id > ? AND id <= ?). */
const changed = (kind: string) => `SELECT key FROM fleet_outbox WHERE kind = '${kind}' AND id > ? AND id <= ?`;

const DEVICES = `SELECT device_id, device_type, mode, imei, pet_name, updated_at FROM devices
  WHERE device_id IN (${changed('device')})`;
// The key is '<issuer fingerprint (64 hex)> <serial>': split, it finds the row by the ledger's primary key.
const CERTIFICATES = `SELECT c.issuer_fingerprint AS issuer, c.serial, c.device_id, c.key_fingerprint AS key_sha256,
  c.kind, c.status, c.not_after, c.revoked_at, c.created_at
  FROM (SELECT DISTINCT key FROM (${changed('certificate')})) o
  JOIN certificates c ON c.issuer_fingerprint = substr(o.key, 1, 64) AND c.serial = substr(o.key, 66)`;
const JOBS = `SELECT id AS job_id, device_id, batch_id, profile, status, step, error_code, cert_serial, updated_at,
  csr_der FROM jobs WHERE id IN (SELECT CAST(key AS INTEGER) FROM (${changed('job')}))`;
const APPROVALS = `SELECT id AS approval_id, device_id, pet_name, status, created_at FROM approvals
  WHERE id IN (SELECT CAST(key AS INTEGER) FROM (${changed('approval')}))`;

function read<T>(db: Db, sql: string, range: readonly [number, number]): T[] {
  return db.prepare<[number, number], T>(sql).all(...range);
}

function heldBy(job: JobRow & { csr_der: Buffer | null }): HeldRow {
  const key = crypto.createHash('sha256').update(csrPublicKey(job.csr_der!)).digest('hex');
  return { device_id: job.device_id!, key_sha256: key, serial: job.cert_serial! };
}
