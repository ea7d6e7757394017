// The audit chain against tampering: 1,000 random single-row edits, deletions, insertions,
// reorderings and truncations made directly in the SQLite file (as someone with the file could),
// each detected by `verifyAuditChain`; an untouched chain verifies.
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { AuditLog, auditHash, verifyAuditChain } from '../../../main/store/audit-log';
import { openDatabase } from '../../../main/store/database';
import { tempDir } from '../../helpers/station';

const ROWS = 40;
const db = openDatabase(`${tempDir()}/audit.sqlite`);
const audit = new AuditLog(db);
for (let i = 1; i <= ROWS; i++)
  audit.append(
    i % 3 ? 'certificate.issued' : 'device.approved',
    `dev-${i}`,
    { serial: i.toString(16) },
    i % 2 ? 'cli' : 'operator',
  );
afterAll(() => db.close());

type Row = {
  seq: number;
  at: string;
  actor: string;
  action: string;
  subject: string;
  details: string;
  prev_hash: string;
  hash: string;
};
const row = (seq: number) => db.prepare('SELECT * FROM audit_log WHERE seq = ?').get(seq) as Row;
const insert = db.prepare(
  'INSERT INTO audit_log (seq, at, actor, action, subject, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
);
const forged = (seq: number, prevHash: string) => {
  const entry = {
    seq,
    at: new Date().toISOString(),
    actor: 'intruder',
    action: 'certificate.issued',
    subject: 'dev-x',
    details: '{}',
    prevHash,
  };
  return { ...entry, hash: auditHash(entry) };
};

const tampers = {
  edit: (k: number, field: number) => {
    const column = (['at', 'actor', 'action', 'subject', 'details'] as const)[field % 5]!;
    db.prepare(`UPDATE audit_log SET ${column} = ${column} || 'x' WHERE seq = ?`).run(k);
  },
  'edit and rehash': (k: number) => {
    const r = row(k);
    const entry = {
      seq: r.seq,
      at: r.at,
      actor: r.actor,
      action: 'ca.unlocked',
      subject: r.subject,
      details: r.details,
      prevHash: r.prev_hash,
    };
    db.prepare('UPDATE audit_log SET action = ?, hash = ? WHERE seq = ?').run(entry.action, auditHash(entry), k);
  },
  delete: (k: number) => db.prepare('DELETE FROM audit_log WHERE seq = ?').run(k),
  'insert in the middle': (k: number) => {
    const at = Math.min(k, ROWS - 1);
    for (let s = ROWS; s > at; s--) db.prepare('UPDATE audit_log SET seq = seq + 1 WHERE seq = ?').run(s);
    const f = forged(at + 1, row(at).hash);
    insert.run(f.seq, f.at, f.actor, f.action, f.subject, f.details, f.prevHash, f.hash);
  },
  'append a forged row': () => {
    const f = forged(ROWS + 1, row(ROWS).hash);
    insert.run(f.seq, f.at, f.actor, f.action, f.subject, f.details, f.prevHash, f.hash);
  },
  reorder: (k: number, other: number) => {
    const j = ((k + 1 + (other % (ROWS - 1))) % ROWS) + 1;
    if (j === k) return tampers.delete(k);
    db.prepare('UPDATE audit_log SET seq = -1 WHERE seq = ?').run(k);
    db.prepare('UPDATE audit_log SET seq = ? WHERE seq = ?').run(k, j);
    db.prepare('UPDATE audit_log SET seq = ? WHERE seq = -1').run(j);
  },
  truncate: (k: number) => db.prepare('DELETE FROM audit_log WHERE seq >= ?').run(k),
};

describe('audit chain tamper detection', () => {
  it('verifies the untouched chain', () => {
    expect(verifyAuditChain(db)).toMatchObject({ ok: true, rows: ROWS, head: { seq: ROWS } });
  });

  it('detects 1,000 random single-row tamperings, and the chain is whole again after each is undone', () => {
    const seen = new Map<string, number>();
    fc.assert(
      fc.property(
        fc.constantFrom(...(Object.keys(tampers) as Array<keyof typeof tampers>)),
        fc.integer({ min: 1, max: ROWS }),
        fc.nat(1000),
        (kind, k, extra) => {
          db.exec('SAVEPOINT tamper');
          try {
            tampers[kind](k, extra);
            const verdict = verifyAuditChain(db);
            if (verdict.ok) return false;
            seen.set(verdict.problem, (seen.get(verdict.problem) ?? 0) + 1);
            return true;
          } finally {
            db.exec('ROLLBACK TO tamper; RELEASE tamper');
          }
        },
      ),
      { numRuns: 1000, seed: 20261122 },
    );
    expect(verifyAuditChain(db).ok).toBe(true);
    // Each kind of damage is named for what it is, not just "broken".
    expect([...seen.keys()].sort()).toEqual(expect.arrayContaining(['deleted', 'edited', 'inserted', 'truncated']));
  });

  it('catches a tail cut together with its recorded head, given a head exported earlier', () => {
    const exported = verifyAuditChain(db);
    if (!exported.ok) throw new Error('chain broken');
    db.exec('SAVEPOINT cut');
    try {
      db.prepare('DELETE FROM audit_log WHERE seq > ?').run(ROWS - 3);
      const last = row(ROWS - 3);
      db.prepare("UPDATE settings SET value = ? WHERE key = 'audit.head'").run(
        JSON.stringify({ seq: last.seq, hash: last.hash }),
      );
      expect(verifyAuditChain(db).ok).toBe(true); // consistent with itself…
      // …but not with the export
      expect(verifyAuditChain(db, exported.head)).toMatchObject({ ok: false, problem: 'truncated' });
    } finally {
      db.exec('ROLLBACK TO cut; RELEASE cut');
    }
  });
});
