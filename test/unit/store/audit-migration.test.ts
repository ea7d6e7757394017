// Migration 17 drops the UNIQUE index on audit_log.hash (a random key the chain already makes
// unique): a station's existing trail comes through it row for row, still one verified chain,
// still appendable, and still told by subject.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase, schemaVersion } from '../../../main/store/database';
import { migrations } from '../../../main/store/migrations';
import { AuditLog, verifyAuditChain } from '../../../main/store/audit-log';
import { tempDir } from '../../helpers/station';

describe('migration 17: audit rows without an index on their hash', () => {
  it('keeps every row and the chain, and leaves only the subject index', () => {
    const file = path.join(tempDir(), 'station.sqlite');
    const before = openDatabase(file, { migrations: migrations.filter((m) => m.version < 17) });
    expect(schemaVersion(before)).toBe(16);
    const audit = new AuditLog(before);
    for (let i = 0; i < 50; i++) audit.append('device.provisioned', `dev-${i % 7}`, { i });
    const rows = audit.entries();
    before.close();

    const after = openDatabase(file, { migrations: migrations.filter((m) => m.version <= 17) });
    expect(schemaVersion(after)).toBe(17);
    expect(new AuditLog(after).entries()).toEqual(rows);
    expect(verifyAuditChain(after)).toMatchObject({ ok: true, rows: 50 });
    const indexes = after.prepare("SELECT name FROM pragma_index_list('audit_log') ORDER BY name").pluck().all();
    expect(indexes).toEqual(['audit_log_subject']);
    new AuditLog(after).append('device.provisioned', 'dev-3', { i: 50 });
    expect(verifyAuditChain(after)).toMatchObject({ ok: true, rows: 51 });
    const plan = after
      .prepare("EXPLAIN QUERY PLAN SELECT at FROM audit_log WHERE subject = 'dev-3' ORDER BY seq")
      .all() as Array<{ detail: string }>;
    expect(plan.map((p) => p.detail).join(' ')).toContain('USING INDEX audit_log_subject');
    after.close();
  });
});
