// The offline queue: each row a CSR the station owes a certificate for. Rows move
// queued/pending → synced (certificate obtained) → delivered (written to the device or its file),
// or failed with a code; they are never deleted, so nothing owed can be lost.
import crypto from 'node:crypto';
import type { Db } from './database';
import { prepared } from './prepared';

export type QueueStatus = 'queued' | 'pending' | 'synced' | 'delivered' | 'failed';

export interface QueueItem {
  readonly id: number;
  readonly kind: 'device' | 'csr-file';
  readonly deviceId: string;
  readonly deviceType: string;
  readonly profile: string;
  readonly jobId: number | null;
  readonly csrDer: Uint8Array;
  readonly csrFile: string | null;
  readonly outDir: string | null;
  readonly status: QueueStatus;
  readonly txn: string | null;
  readonly attempts: number;
  readonly nextAttemptAt: string;
  readonly lastCode: string | null;
  readonly lastMessage: string | null;
  readonly certDer: Uint8Array | null;
  readonly certSerial: string | null;
  readonly createdAt: string;
}

interface Row {
  id: number;
  kind: QueueItem['kind'];
  device_id: string;
  device_type: string;
  profile: string;
  job_id: number | null;
  csr_der: Buffer;
  csr_file: string | null;
  out_dir: string | null;
  status: QueueStatus;
  txn: string | null;
  attempts: number;
  next_attempt_at: string;
  last_code: string | null;
  last_message: string | null;
  cert_der: Buffer | null;
  cert_serial: string | null;
  created_at: string;
}

const toItem = (r: Row): QueueItem => ({
  id: r.id,
  kind: r.kind,
  deviceId: r.device_id,
  deviceType: r.device_type,
  profile: r.profile,
  jobId: r.job_id,
  csrDer: new Uint8Array(r.csr_der),
  csrFile: r.csr_file,
  outDir: r.out_dir,
  status: r.status,
  txn: r.txn,
  attempts: r.attempts,
  nextAttemptAt: r.next_attempt_at,
  lastCode: r.last_code,
  lastMessage: r.last_message,
  certDer: r.cert_der ? new Uint8Array(r.cert_der) : null,
  certSerial: r.cert_serial,
  createdAt: r.created_at,
});

export interface NewQueueItem {
  readonly kind: QueueItem['kind'];
  readonly deviceId: string;
  readonly deviceType: string;
  readonly profile: string;
  readonly jobId?: number | undefined;
  readonly csrDer: Uint8Array;
  readonly csrFile?: string | undefined;
  readonly outDir?: string | undefined;
  readonly txn?: string | undefined;
  readonly code: string;
  readonly message: string;
}

export class QueueStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /** Queues a CSR (or finds it already queued for that profile); returns the row. */
  enqueue(item: NewQueueItem): QueueItem {
    const now = new Date().toISOString();
    const sha = crypto.createHash('sha256').update(item.csrDer).digest('hex');
    prepared(
      this.#db,
      `INSERT INTO queue (kind, device_id, device_type, profile, job_id, csr_der, csr_sha256, csr_file, out_dir,
           status, txn, next_attempt_at, last_code, last_message, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(profile, csr_sha256) DO UPDATE SET job_id = coalesce(excluded.job_id, job_id),
           csr_file = coalesce(excluded.csr_file, csr_file),
           out_dir = coalesce(excluded.out_dir, out_dir), txn = coalesce(excluded.txn, txn),
             updated_at = excluded.updated_at`,
    ).run(
      item.kind,
      item.deviceId,
      item.deviceType,
      item.profile,
      item.jobId ?? null,
      Buffer.from(item.csrDer),
      sha,
      item.csrFile ?? null,
      item.outDir ?? null,
      item.txn ? 'pending' : 'queued',
      item.txn ?? null,
      now,
      item.code,
      item.message,
      now,
      now,
    );
    return toItem(
      prepared<[string, string], Row>(this.#db, 'SELECT * FROM queue WHERE profile = ? AND csr_sha256 = ?').get(
        item.profile,
        sha,
      )!,
    );
  }

  get(id: number): QueueItem {
    return toItem(prepared<[number], Row>(this.#db, 'SELECT * FROM queue WHERE id = ?').get(id)!);
  }

  list(statuses?: readonly QueueStatus[]): QueueItem[] {
    const rows = prepared<[], Row>(this.#db, 'SELECT * FROM queue ORDER BY id').all().map(toItem);
    return statuses ? rows.filter((r) => statuses.includes(r.status)) : rows;
  }

  /** Items the sync worker should try now (or all open ones when `force`). */
  due(now: Date, force: boolean): QueueItem[] {
    return this.list(['queued', 'pending']).filter((i) => force || i.nextAttemptAt <= now.toISOString());
  }

  /** A certificate obtained for a device (or a CSR file) that has not been written to it yet. */
  owedTo(deviceId: string, kind: QueueItem['kind'] = 'device'): QueueItem | undefined {
    const row = prepared<[string, string], Row>(
      this.#db,
      "SELECT * FROM queue WHERE device_id = ? AND kind = ? AND status = 'synced' ORDER BY id DESC LIMIT 1",
    ).get(deviceId, kind);
    return row ? toItem(row) : undefined;
  }

  /** Any open debt for this device (queued, pending or synced). */
  openFor(deviceId: string): QueueItem | undefined {
    const row = prepared<[string], Row>(
      this.#db,
      "SELECT * FROM queue WHERE device_id = ? AND status IN ('queued', 'pending', 'synced') ORDER BY id DESC " +
        'LIMIT 1',
    ).get(deviceId);
    return row ? toItem(row) : undefined;
  }

  retryLater(id: number, code: string, message: string, delayMs: number, txn?: string): void {
    const now = Date.now();
    prepared(
      this.#db,
      "UPDATE queue SET attempts = attempts + 1, status = CASE WHEN ? IS NULL THEN status ELSE 'pending' END, txn " +
        '= coalesce(?, txn), next_attempt_at = ?, last_code = ?, last_message = ?, updated_at = ? WHERE id = ?',
    ).run(
      txn ?? null,
      txn ?? null,
      new Date(now + delayMs).toISOString(),
      code,
      message,
      new Date(now).toISOString(),
      id,
    );
  }

  synced(id: number, certificate: { der: Uint8Array; serial: string; issuer: string }, extra?: () => void): void {
    const now = new Date().toISOString();
    this.#db
      .transaction(() => {
        prepared(
          this.#db,
          "UPDATE queue SET status = 'synced', attempts = attempts + 1, cert_der = ?, cert_serial = ?, cert_issuer " +
            '= ?, last_code = NULL, last_message = NULL, synced_at = ?, updated_at = ? WHERE id = ? AND status IN ' +
            "('queued', 'pending')",
        ).run(Buffer.from(certificate.der), certificate.serial, certificate.issuer, now, now, id);
        extra?.();
      })
      .immediate();
  }

  delivered(id: number, extra?: () => void): void {
    this.#db
      .transaction(() => {
        prepared(this.#db, "UPDATE queue SET status = 'delivered', updated_at = ? WHERE id = ?").run(
          new Date().toISOString(),
          id,
        );
        extra?.();
      })
      .immediate();
  }

  failed(id: number, code: string, message: string): void {
    prepared(
      this.#db,
      "UPDATE queue SET status = 'failed', attempts = attempts + 1, last_code = ?, last_message = ?, updated_at = " +
        '? WHERE id = ?',
    ).run(code, message, new Date().toISOString(), id);
  }
}
