// The audit trail: append-only rows, each carrying the SHA-256 of the previous row, so any
// edit, deletion, insertion, reordering or truncation breaks the chain (`enroller audit verify`).
// Appends are meant to run inside the caller's transaction, beside the change they record.
import crypto from 'node:crypto';
import type { Db } from './database';

export const GENESIS_HASH = '0'.repeat(64);

export interface AuditEntry {
  readonly seq: number;
  readonly at: string;
  readonly actor: string;
  readonly action: string;
  readonly subject: string;
  readonly details: string;
  readonly prevHash: string;
  readonly hash: string;
}

export function auditHash(entry: Omit<AuditEntry, 'hash'>): string {
  const canonical = JSON.stringify([entry.seq, entry.at, entry.actor, entry.action, entry.subject, entry.details, entry.prevHash]);
  return crypto.createHash('sha256').update(canonical).digest('hex');
}

export class AuditLog {
  readonly #db: Db;
  readonly #last;
  readonly #insert;

  constructor(db: Db) {
    this.#db = db;
    this.#last = db.prepare<[], { seq: number; hash: string }>('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1');
    this.#insert = db.prepare('INSERT INTO audit_log (seq, at, actor, action, subject, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  }

  /** Appends one row. Call inside a transaction together with the change it records. */
  append(action: string, subject: string, details: Record<string, unknown> = {}, actor = 'station', at = new Date()): AuditEntry {
    const last = this.#last.get();
    const entry = {
      seq: (last?.seq ?? 0) + 1,
      at: at.toISOString(),
      actor,
      action,
      subject,
      details: JSON.stringify(details),
      prevHash: last?.hash ?? GENESIS_HASH,
    };
    const hash = auditHash(entry);
    this.#insert.run(entry.seq, entry.at, entry.actor, entry.action, entry.subject, entry.details, entry.prevHash, hash);
    return { ...entry, hash };
  }

  entries(): AuditEntry[] {
    return this.#db
      .prepare<[], AuditEntry>('SELECT seq, at, actor, action, subject, details, prev_hash AS prevHash, hash FROM audit_log ORDER BY seq')
      .all();
  }
}
