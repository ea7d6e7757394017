// `fleet sync`: the outbox to the fleet, slice by slice. Each slice is one PostgreSQL transaction
// that upserts the rows (keyed by station and row, so a slice sent twice changes nothing) and moves
// the station's cursor past it; only after that commit does the station forget the slice. A cut
// anywhere — the server stopped, the station killed — leaves the cursor where the last whole slice
// put it, and the next sync starts there: nothing lost, nothing twice. The audit chain's head is
// anchored last, once the chain is checked to still hold the head anchored before.
import type { ClientBase } from 'pg';
import { EnrollerError } from '../../shared/errors';
import type { AuditLog } from '../store/audit-log';
import type { Db } from '../store/database';
import { fleetError } from './fleet-link';
import { forget, pendingCount, readBatch, type OutboxBatch } from './fleet-outbox';

/** Outbox rows per transaction: big enough to amortise a round trip, small enough to resume cheaply. */
export const SLICE = 2000;

export interface Conflict {
  readonly deviceId: string;
  readonly serial: string;
  /** The station that held the device ID first. */
  readonly holder: string;
}

export interface SyncResult {
  readonly station: string;
  readonly sent: number;
  readonly slices: number;
  readonly conflicts: Conflict[];
  readonly auditHead: { seq: number; hash: string } | null;
  readonly pending: number;
}

export interface SyncOptions {
  readonly slice?: number;
  /** Called after each slice commits (the benchmark and the cut-in-the-middle test use it). */
  readonly onSlice?: (through: number) => void | Promise<void>;
}

export async function syncToFleet(db: Db, client: ClientBase, audit: AuditLog, options: SyncOptions = {}) {
  try {
    return await pushAll(db, client, audit, options);
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw fleetError(error);
  }
}

async function pushAll(db: Db, client: ClientBase, audit: AuditLog, options: SyncOptions): Promise<SyncResult> {
  const me = await whoAmI(client);
  let cursor = me.cursor;
  let sent = 0;
  let slices = 0;
  const conflicts: Conflict[] = [];
  for (;;) {
    const batch = readBatch(db, cursor, options.slice ?? SLICE);
    if (!batch) break;
    await client.query('BEGIN');
    await upsertAll(client, batch);
    conflicts.push(...(await claimHeld(client, batch)));
    await client.query('UPDATE fleet.stations SET outbox_cursor = $1, last_sync_at = now() WHERE role = current_user', [
      batch.through,
    ]);
    await client.query('COMMIT');
    forget(db, batch.through);
    cursor = batch.through;
    sent += batch.changes;
    slices++;
    await options.onSlice?.(cursor);
  }
  // Rows left from before a crash between the fleet's commit and the local forget.
  forget(db, cursor);
  const auditHead = await anchorAudit(db, client, me);
  await client.query('UPDATE fleet.stations SET last_sync_at = now() WHERE role = current_user');
  if (conflicts.length > 0) recordConflicts(audit, conflicts);
  return { station: me.name, sent, slices, conflicts, auditHead, pending: pendingCount(db, cursor) };
}

interface Me {
  readonly name: string;
  readonly cursor: number;
  readonly auditSeq: number | null;
  readonly auditHash: string | null;
}

export async function whoAmI(client: ClientBase): Promise<Me> {
  const row = (
    await client.query<{ name: string; outbox_cursor: string; audit_seq: string | null; audit_hash: string | null }>(
      'SELECT name, outbox_cursor, audit_seq, audit_hash FROM fleet.stations WHERE role = current_user',
    )
  ).rows[0];
  if (!row)
    throw new EnrollerError(
      'FLEET_STATION_UNKNOWN',
      'The fleet does not know this login as a station: ask its owner to run `enroller fleet add-station`.',
    );
  const auditSeq = row.audit_seq === null ? null : Number(row.audit_seq);
  return { name: row.name, cursor: Number(row.outbox_cursor), auditSeq, auditHash: row.audit_hash };
}

async function upsertAll(client: ClientBase, batch: OutboxBatch): Promise<void> {
  await upsert(client, 'devices', batch.devices, DEVICE_COLUMNS, ['device_id']);
  await upsert(client, 'certificates', batch.certificates, CERTIFICATE_COLUMNS, ['issuer', 'serial']);
  await upsert(client, 'jobs', batch.jobs, JOB_COLUMNS, ['job_id']);
  await upsert(client, 'approvals', batch.approvals, APPROVAL_COLUMNS, ['approval_id']);
}

const DEVICE_COLUMNS = {
  device_id: 'text',
  device_type: 'text',
  mode: 'text',
  imei: 'text',
  pet_name: 'text',
  updated_at: 'timestamptz',
};
const CERTIFICATE_COLUMNS = {
  issuer: 'text',
  serial: 'text',
  device_id: 'text',
  key_sha256: 'text',
  kind: 'text',
  status: 'text',
  not_after: 'timestamptz',
  revoked_at: 'timestamptz',
  created_at: 'timestamptz',
};
const JOB_COLUMNS = {
  job_id: 'bigint',
  device_id: 'text',
  batch_id: 'text',
  profile: 'text',
  status: 'text',
  step: 'text',
  error_code: 'text',
  cert_serial: 'text',
  updated_at: 'timestamptz',
};
const APPROVAL_COLUMNS = {
  approval_id: 'bigint',
  device_id: 'text',
  pet_name: 'text',
  status: 'text',
  created_at: 'timestamptz',
};

/**
 * One statement for a slice's rows of one table: the rows travel as one JSON array and become a
 * record set on the server; each is inserted or, when the station sent it before, updated.
 */
async function upsert(
  client: ClientBase,
  table: string,
  rows: readonly object[],
  columns: Record<string, string>,
  key: string[],
): Promise<void> {
  if (rows.length === 0) return;
  const names = Object.keys(columns);
  const shape = names.map((n) => `${n} ${columns[n]}`).join(', ');
  const updates = names.filter((n) => !key.includes(n)).map((n) => `${n} = EXCLUDED.${n}`);
  await client.query(
    `INSERT INTO fleet.${table} (station, ${names.join(', ')})
     SELECT fleet.me(), ${names.join(', ')} FROM json_to_recordset($1::json) AS r(${shape})
     ON CONFLICT (station, ${key.join(', ')}) DO UPDATE SET ${updates.join(', ')}`,
    [JSON.stringify(rows)],
  );
}

/**
 * Certificates delivered by this station claim their device IDs; an ID another station claimed
 * first is a conflict — recorded in the fleet and reported, never merged.
 */
async function claimHeld(client: ClientBase, batch: OutboxBatch): Promise<Conflict[]> {
  if (batch.held.length === 0) return [];
  const found = await client.query<{ device_id: string; serial: string; holder: string }>(
    `WITH incoming AS (
       SELECT * FROM json_to_recordset($1::json) AS r(device_id text, key_sha256 text, serial text)
     ), claimed AS (
       INSERT INTO fleet.device_claims (device_id, station, key_sha256)
       SELECT DISTINCT ON (device_id) device_id, fleet.me(), key_sha256 FROM incoming
       ON CONFLICT (device_id) DO NOTHING
     )
     INSERT INTO fleet.conflicts (device_id, station, serial, holder)
     SELECT i.device_id, fleet.me(), i.serial, c.station
     FROM incoming i JOIN fleet.device_claims c USING (device_id)
     WHERE c.station <> fleet.me()
     ON CONFLICT DO NOTHING
     RETURNING device_id, serial, holder`,
    [JSON.stringify(batch.held)],
  );
  return found.rows.map((r) => ({ deviceId: r.device_id, serial: r.serial, holder: r.holder }));
}

/**
 * The audit chain's head goes to the fleet, insert-only. The head anchored before must still be in
 * the chain with the same hash: a trail rewritten since is reported and nothing new is anchored.
 */
async function anchorAudit(db: Db, client: ClientBase, me: Me): Promise<{ seq: number; hash: string } | null> {
  if (me.auditSeq !== null && me.auditSeq > 0) {
    const row = db.prepare<[number], { hash: string }>('SELECT hash FROM audit_log WHERE seq = ?').get(me.auditSeq);
    if (row?.hash !== me.auditHash)
      throw new EnrollerError(
        'FLEET_AUDIT_REWRITTEN',
        `The station's audit trail no longer holds the entry ${me.auditSeq} the fleet anchored: it was rewritten or ` +
          'restored from an older copy. Nothing was anchored; a PKI engineer must look at it (enroller audit verify).',
        { anchoredSeq: me.auditSeq, anchoredHash: me.auditHash, found: row?.hash ?? null },
      );
  }
  const head = db
    .prepare<[], { seq: number; hash: string }>('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1')
    .get();
  if (!head || head.seq === me.auditSeq) return head ?? null;
  await client.query('BEGIN');
  await client.query(
    'INSERT INTO fleet.audit_anchors (station, seq, hash) VALUES (fleet.me(), $1, $2) ON CONFLICT DO NOTHING',
    [head.seq, head.hash],
  );
  await client.query('UPDATE fleet.stations SET audit_seq = $1, audit_hash = $2 WHERE role = current_user', [
    head.seq,
    head.hash,
  ]);
  await client.query('COMMIT');
  return head;
}

function recordConflicts(audit: AuditLog, conflicts: readonly Conflict[]): void {
  for (const c of conflicts)
    audit.append('fleet.conflict', c.deviceId, { serial: c.serial, holder: c.holder }, 'fleet');
}
