// `fleet sync`: the outbox to the fleet, slice by slice. Each slice is one PostgreSQL transaction
// that upserts the rows (keyed by station and row, so a slice sent twice changes nothing) and moves
// the station's cursor past it; only after that commit does the station forget the slice. A cut
// anywhere — the server stopped, the station killed — leaves the cursor where the last whole slice
// put it, and the next sync starts there: nothing lost, nothing twice. The audit chain's head is
// anchored last, once the chain is checked to still hold the head anchored before.
import type { ClientBase } from 'pg';
import { EnrollerError } from '../../../shared/errors';
import type { AuditLog } from '../../store/audit-log';
import type { Db } from '../../store/database';
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
  /** How long the sync took once connected. */
  readonly elapsedMs: number;
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
  const started = performance.now();
  const me = await whoAmI(client);
  const size = options.slice ?? SLICE;
  let cursor = me.cursor;
  let sent = 0;
  let slices = 0;
  const conflicts: Conflict[] = [];
  let batch = readBatch(db, cursor, size);
  while (batch) {
    const sending = sendSlice(client, batch);
    // The next slice is read from SQLite while the server takes this one.
    const next = readBatch(db, batch.through, size);
    conflicts.push(...(await sending));
    forget(db, batch.through);
    cursor = batch.through;
    sent += batch.changes;
    slices++;
    await options.onSlice?.(cursor);
    batch = next;
  }
  // Rows left from before a crash between the fleet's commit and the local forget.
  forget(db, cursor);
  const auditHead = await anchorAudit(db, client, me);
  await client.query('UPDATE fleet.stations SET last_sync_at = now() WHERE name = current_user');
  if (conflicts.length > 0) recordConflicts(audit, conflicts);
  const elapsedMs = Math.round(performance.now() - started);
  return { station: me.name, sent, slices, conflicts, auditHead, pending: pendingCount(db, cursor), elapsedMs };
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
      'SELECT name, outbox_cursor, audit_seq, audit_hash FROM fleet.stations WHERE name = current_user',
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

const TABLES = [
  {
    table: 'devices',
    key: ['device_id'],
    columns: {
      device_id: 'text',
      device_type: 'text',
      mode: 'text',
      imei: 'text',
      pet_name: 'text',
      updated_at: 'timestamptz',
    },
  },
  {
    table: 'certificates',
    key: ['issuer', 'serial'],
    columns: {
      issuer: 'text',
      serial: 'text',
      device_id: 'text',
      key_sha256: 'text',
      kind: 'text',
      status: 'text',
      not_after: 'timestamptz',
      revoked_at: 'timestamptz',
      created_at: 'timestamptz',
    },
  },
  {
    table: 'jobs',
    key: ['job_id'],
    columns: {
      job_id: 'bigint',
      device_id: 'text',
      batch_id: 'text',
      profile: 'text',
      status: 'text',
      step: 'text',
      error_code: 'text',
      cert_serial: 'text',
      updated_at: 'timestamptz',
    },
  },
  {
    table: 'approvals',
    key: ['approval_id'],
    columns: {
      approval_id: 'bigint',
      device_id: 'text',
      pet_name: 'text',
      status: 'text',
      created_at: 'timestamptz',
    },
  },
] as const;

/**
 * One table's rows of a slice, upserted: they travel as one JSON array and become a record set on
 * the server; a row the station sent before is updated. (A CTE of the slice's one statement.)
 */
function upsertPart({ table, key, columns }: (typeof TABLES)[number], parameter: number): string {
  const names = Object.keys(columns);
  const shape = names.map((n) => `${n} ${columns[n as keyof typeof columns]}`).join(', ');
  const updates = names.filter((n) => !(key as readonly string[]).includes(n)).map((n) => `${n} = EXCLUDED.${n}`);
  return `${table}_in AS (
     INSERT INTO fleet.${table} (station, ${names.join(', ')})
     SELECT current_user, ${names.join(', ')} FROM json_to_recordset($${parameter}::json) AS r(${shape})
     ON CONFLICT (station, ${key.join(', ')}) DO UPDATE SET ${updates.join(', ')})`;
}

/**
 * A slice is one statement, so one round trip and one transaction: the rows, the claims of the
 * certificates delivered (an ID another station claimed first is a conflict — recorded and
 * returned, never merged), and the cursor moved past the slice. All its parts see the fleet as it
 * was before the statement, so a claim this slice makes is not a conflict with itself.
 */
const SLICE_STATEMENT = `WITH
  ${TABLES.map((t, i) => upsertPart(t, i + 1)).join(',\n  ')},
  incoming AS (
    SELECT * FROM json_to_recordset($${TABLES.length + 1}::json) AS r(device_id text, key_sha256 text, serial text)
  ),
  claimed AS (
    INSERT INTO fleet.device_claims (device_id, station, key_sha256)
    SELECT DISTINCT ON (device_id) device_id, current_user, key_sha256 FROM incoming
    ON CONFLICT (device_id) DO NOTHING
  ),
  moved AS (
    UPDATE fleet.stations SET outbox_cursor = $${TABLES.length + 2}, last_sync_at = now() WHERE name = current_user
  )
  INSERT INTO fleet.conflicts (device_id, station, serial, holder)
  SELECT i.device_id, current_user, i.serial, c.station
  FROM incoming i JOIN fleet.device_claims c USING (device_id)
  WHERE c.station <> current_user
  ON CONFLICT DO NOTHING
  RETURNING device_id, serial, holder`;

async function sendSlice(client: ClientBase, batch: OutboxBatch): Promise<Conflict[]> {
  const rows = [batch.devices, batch.certificates, batch.jobs, batch.approvals, batch.held];
  const found = await client.query<{ device_id: string; serial: string; holder: string }>(SLICE_STATEMENT, [
    ...rows.map((r) => JSON.stringify(r)),
    batch.through,
  ]);
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
    'INSERT INTO fleet.audit_anchors (station, seq, hash) VALUES (current_user, $1, $2) ON CONFLICT DO NOTHING',
    [head.seq, head.hash],
  );
  await client.query('UPDATE fleet.stations SET audit_seq = $1, audit_hash = $2 WHERE name = current_user', [
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
