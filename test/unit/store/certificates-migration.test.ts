// Migration 18 keys the ledger by serial, then issuer (it led with the issuer, and a second index
// on the serial served lookups by serial alone). The ledger comes through row for row, the pair
// stays unique — one issuer cannot have a serial twice, two issuers may share one — and every way
// the station looks a certificate up still goes through an index.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase, schemaVersion, type Db } from '../../../main/store/database';
import { migrations } from '../../../main/store/migrations';
import { tempDir } from '../../helpers/station';

const ISSUER_A = 'a'.repeat(64);
const ISSUER_B = 'b'.repeat(64);

function insert(db: Db, serial: string, issuer: string, status: string, kind = 'operational'): void {
  db.prepare(
    `INSERT INTO certificates (serial, issuer_fingerprint, device_id, csr_sha256, key_fingerprint, kind, status, der,
       not_before, not_after, revoked_at, revocation_reason, created_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, '2026-01-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z', ?, ?, ?)`,
  ).run(
    serial,
    issuer,
    `dev-${serial}`,
    `${serial}${issuer}`.slice(0, 64),
    `key-${serial}`,
    kind,
    status,
    status === 'reserved' ? null : Buffer.from(serial),
    status === 'revoked' ? '2026-06-01T00:00:00.000Z' : null,
    status === 'revoked' ? 4 : null,
    '2026-01-01T00:00:00.000Z',
  );
}

function planOf(db: Db, sql: string, ...params: unknown[]): string {
  const plan = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>;
  return plan.map((step) => step.detail).join('; ');
}

describe('migration 18: certificates keyed by serial, then issuer', () => {
  it('keeps every certificate, the pair unique, and every lookup on an index', () => {
    const file = path.join(tempDir(), 'station.sqlite');
    const before = openDatabase(file, { migrations: migrations.filter((m) => m.version < 18) });
    expect(schemaVersion(before)).toBe(17);
    insert(before, '01', ISSUER_A, 'issued');
    insert(before, '02', ISSUER_A, 'revoked');
    insert(before, '03', ISSUER_A, 'reserved');
    insert(before, '01', ISSUER_B, 'issued');
    insert(before, '04', ISSUER_B, 'issued', 'verification');
    const rows = before.prepare('SELECT * FROM certificates ORDER BY issuer_fingerprint, serial').all();
    before.close();

    const after = openDatabase(file);
    expect(schemaVersion(after)).toBe(18);
    expect(after.prepare('SELECT * FROM certificates ORDER BY issuer_fingerprint, serial').all()).toEqual(rows);

    expect(() => insert(after, '01', ISSUER_A, 'issued')).toThrow(/UNIQUE constraint failed/);
    insert(after, '02', ISSUER_B, 'issued');
    const indexes = after.prepare("SELECT name FROM pragma_index_list('certificates') ORDER BY name").pluck().all();
    expect(indexes).toEqual([
      'certificates_device',
      'certificates_not_after',
      'certificates_one_per_csr',
      'certificates_revoked',
      'sqlite_autoindex_certificates_1',
    ]);
    const key = after.prepare("SELECT name FROM pragma_index_info('sqlite_autoindex_certificates_1')").pluck().all();
    expect(key).toEqual(['serial', 'issuer_fingerprint']);

    const lookups = {
      bySerial: planOf(after, "SELECT * FROM certificates WHERE serial = ? AND status = 'reserved'", '03'),
      byIssuerAndSerial: planOf(
        after,
        'SELECT 1 FROM certificates WHERE issuer_fingerprint = ? AND serial = ?',
        'a',
        '1',
      ),
      revokedByIssuer: planOf(
        after,
        "SELECT serial FROM certificates WHERE issuer_fingerprint = ? AND status = 'revoked' ORDER BY revoked_at",
        ISSUER_A,
      ),
    };
    expect(lookups.bySerial).toContain('USING INDEX sqlite_autoindex_certificates_1 (serial=?)');
    expect(lookups.byIssuerAndSerial).toContain('sqlite_autoindex_certificates_1 (serial=? AND issuer_fingerprint=?)');
    expect(lookups.revokedByIssuer).toContain('USING INDEX certificates_revoked (issuer_fingerprint=?)');
    expect(lookups.revokedByIssuer).not.toContain('TEMP B-TREE');
    const revoked = after
      .prepare("SELECT serial FROM certificates WHERE issuer_fingerprint = ? AND status = 'revoked'")
      .pluck()
      .all(ISSUER_A);
    expect(revoked).toEqual(['02']);
    after.close();
  });
});
