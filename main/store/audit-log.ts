// The audit trail: append-only rows, each carrying the SHA-256 of the previous row, so any
// edit, deletion, insertion, reordering or truncation breaks the chain (`enroller audit verify`).
// Appends are meant to run inside the caller's transaction, beside the change they record.
import crypto from 'node:crypto';
import type { Db } from './database';
import { immediately } from './immediately';
import { prepared } from './prepared';

export const GENESIS_HASH = '0'.repeat(64);
const HEAD_KEY = 'audit.head';

/**
 * Connections whose group commit (store/group-commit.ts) writes the head's anchor once, just before
 * each commit, instead of every append writing it: a bulk certificate appends twice, and the anchor
 * only has to match the chain in what is committed.
 */
const anchoredAtCommit = new WeakSet<Db>();

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

export interface AuditRow {
  readonly action: string;
  readonly subject: string;
  readonly details?: Record<string, unknown>;
  readonly actor?: string;
}

export function auditHash(entry: Omit<AuditEntry, 'hash'>): string {
  const canonical = JSON.stringify([
    entry.seq,
    entry.at,
    entry.actor,
    entry.action,
    entry.subject,
    entry.details,
    entry.prevHash,
  ]);
  return crypto.hash('sha256', canonical, 'hex');
}

export class AuditLog {
  readonly #db: Db;
  readonly #last;
  readonly #insert;
  readonly #anchor;

  constructor(db: Db) {
    this.#db = db;
    this.#last = prepared<[], { seq: number; hash: string; at: string }>(
      db,
      'SELECT seq, hash, at FROM audit_log ORDER BY seq DESC LIMIT 1',
    );
    this.#insert = prepared(
      db,
      'INSERT INTO audit_log (seq, at, actor, action, subject, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ' +
        '?, ?)',
    );
    this.#anchor = prepared(
      db,
      `INSERT INTO settings (key, value, updated_at) VALUES ('${HEAD_KEY}', ?, ?)
       ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
    );
  }

  /**
   * Appends one row. Call inside a transaction together with the change it records; called alone,
   * it takes the write lock before reading the head, so two processes never append the same seq.
   */
  append(
    action: string,
    subject: string,
    details: Record<string, unknown> = {},
    actor = 'station',
    at = new Date(),
  ): AuditEntry {
    return this.appendAll([{ action, subject, details, actor }], at)[0]!;
  }

  /** Appends rows in order, chained, with one read of the head and one move of its anchor. Same rules as `append`. */
  appendAll(rows: readonly AuditRow[], at = new Date()): AuditEntry[] {
    return immediately(this.#db, () => this.appendWithin(rows, at));
  }

  /**
   * `appendAll` inside the caller's own transaction or savepoint, which must roll back with it if
   * anything after fails: what a bulk run records of one device at a time (store/fresh-records.ts),
   * without a savepoint of its own inside the caller's (two per certificate).
   */
  appendWithin(rows: readonly AuditRow[], at = new Date()): AuditEntry[] {
    if (!this.#db.inTransaction) throw new Error("AuditLog.appendWithin needs the caller's transaction.");
    const last = this.#last.get();
    let seq = last?.seq ?? 0;
    let prevHash = last?.hash ?? GENESIS_HASH;
    const when = at.toISOString();
    const appended = rows.map(({ action, subject, details = {}, actor = 'station' }) => {
      const entry = { seq: ++seq, at: when, actor, action, subject, details: JSON.stringify(details), prevHash };
      const hash = (prevHash = auditHash(entry));
      this.#insert.run(entry.seq, entry.at, actor, action, subject, entry.details, entry.prevHash, hash);
      return { ...entry, hash };
    });
    // The head, kept beside the chain in the same commit: a truncated tail no longer reaches it.
    const head = appended.at(-1);
    if (head && !anchoredAtCommit.has(this.#db)) this.#writeAnchor(head);
    return appended;
  }

  /**
   * From now on the caller anchors the head itself, with `anchorHead()` before each commit, until
   * `anchorEachAppend()`. For a connection one group commit owns: nothing else commits on it.
   */
  anchorAtCommit(): void {
    anchoredAtCommit.add(this.#db);
  }

  anchorEachAppend(): void {
    anchoredAtCommit.delete(this.#db);
  }

  /** Writes the newest row as the head's anchor, inside the caller's transaction. */
  anchorHead(): void {
    const head = this.#last.get();
    if (head) this.#writeAnchor(head);
  }

  #writeAnchor(head: { seq: number; hash: string; at: string }): void {
    this.#anchor.run(JSON.stringify({ seq: head.seq, hash: head.hash }), head.at);
  }

  entries(): AuditEntry[] {
    return this.#db
      .prepare<[], AuditEntry>(
        'SELECT seq, at, actor, action, subject, details, prev_hash AS prevHash, hash FROM audit_log ORDER BY seq',
      )
      .all();
  }
}

export type AuditProblem = 'edited' | 'deleted' | 'inserted' | 'reordered' | 'truncated';

export type AuditVerdict =
  | { readonly ok: true; readonly rows: number; readonly head: { seq: number; hash: string } }
  | {
      readonly ok: false;
      readonly rows: number;
      readonly seq: number;
      readonly problem: AuditProblem;
      readonly message: string;
    };

/**
 * Walks the chain in sequence order and names the first break. `expectHead` is a head recorded
 * elsewhere (an earlier export): a chain that no longer reaches it was truncated or rewritten.
 */
type Break = { readonly seq: number; readonly problem: AuditProblem; readonly message: string };

export function verifyAuditChain(db: Db, expectHead?: { seq: number; hash: string }): AuditVerdict {
  const rows = db
    .prepare<[], AuditEntry>(
      'SELECT seq, at, actor, action, subject, details, prev_hash AS prevHash, hash FROM audit_log ORDER BY seq',
    )
    .all();
  const last = rows.at(-1);
  const head = last ? { seq: last.seq, hash: last.hash } : { seq: 0, hash: GENESIS_HASH };
  const anchored = db.prepare<[string], { value: string }>('SELECT value FROM settings WHERE key = ?').get(HEAD_KEY);
  const recorded = anchored
    ? (JSON.parse(anchored.value) as { seq: number; hash: string })
    : { seq: 0, hash: GENESIS_HASH };
  const broken = firstBreak(rows) ?? headBreak(rows, head, recorded, expectHead);
  return broken ? { ok: false, rows: rows.length, ...broken } : { ok: true, rows: rows.length, head };
}

/** The first row that is not where the chain says it should be, or is not what was written. */
function firstBreak(rows: readonly AuditEntry[]): Break | undefined {
  const hashes = new Map(rows.map((r) => [r.hash, r.seq]));
  let prev = GENESIS_HASH;
  let expectedSeq = 1;
  for (const row of rows) {
    if (auditHash(row) !== row.hash) {
      const message = `Row ${row.seq} was changed after it was written (its hash no longer matches its content).`;
      return { seq: row.seq, problem: 'edited', message };
    }
    if (row.prevHash !== prev) return linkBreak(row, expectedSeq, hashes.get(row.prevHash));
    if (row.seq !== expectedSeq) {
      const message = `Row numbers jump from ${expectedSeq - 1} to ${row.seq}.`;
      return { seq: expectedSeq, problem: row.seq > expectedSeq ? 'deleted' : 'inserted', message };
    }
    prev = row.hash;
    expectedSeq += 1;
  }
  return undefined;
}

/** A row that does not link to the one before it: what was done to the chain there. */
function linkBreak(row: AuditEntry, expectedSeq: number, linkedTo: number | undefined): Break {
  if (row.seq > expectedSeq && linkedTo === undefined) {
    const range = `${expectedSeq}${row.seq - expectedSeq > 1 ? `–${row.seq - 1}` : ''}`;
    return { seq: expectedSeq, problem: 'deleted', message: `Row ${range} is missing from the chain.` };
  }
  if (linkedTo !== undefined && linkedTo !== row.seq - 1) {
    const message =
      `Row ${row.seq} follows row ${linkedTo} in the chain but sits at another place: rows were ` + `reordered.`;
    return { seq: row.seq, problem: 'reordered', message };
  }
  if (row.seq > expectedSeq) {
    return { seq: expectedSeq, problem: 'deleted', message: `Row ${expectedSeq} is missing from the chain.` };
  }
  const message = `Row ${row.seq} does not link to the row before it: a row was inserted or replaced.`;
  return { seq: row.seq, problem: 'inserted', message };
}

/** The chain's end against the head recorded beside it and the head an auditor kept. */
function headBreak(
  rows: readonly AuditEntry[],
  head: { seq: number; hash: string },
  recorded: { seq: number; hash: string },
  expectHead: { seq: number; hash: string } | undefined,
): Break | undefined {
  for (const [what, expected] of [
    ['the recorded head', recorded],
    ['the expected head', expectHead],
  ] as const) {
    if (!expected) continue;
    if (head.seq < expected.seq) {
      const message =
        `The chain ends at row ${head.seq} but ${what} is row ${expected.seq}: rows were removed from ` + `the end.`;
      return { seq: head.seq + 1, problem: 'truncated', message };
    }
    const at = rows.find((r) => r.seq === expected.seq);
    if (expected.seq > 0 && at?.hash !== expected.hash) {
      const message = `Row ${expected.seq} is not the row ${what} names: the chain was rewritten.`;
      return { seq: expected.seq, problem: 'edited', message };
    }
    if (what === 'the recorded head' && head.seq !== expected.seq) {
      const message = `Rows after ${expected.seq} were added outside the station.`;
      return { seq: expected.seq + 1, problem: 'inserted', message };
    }
  }
  return undefined;
}
