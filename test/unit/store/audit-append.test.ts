// Appending inside the caller's savepoint (a bulk run's device rows, store/fresh-records.ts): the
// rows go with the savepoint — kept when it is released, gone with it when it rolls back, the
// chain whole either way — and the call refuses to run where no transaction holds it.
import { describe, expect, it } from 'vitest';
import { AuditLog, verifyAuditChain } from '../../../main/store/audit-log';
import { openDatabase } from '../../../main/store/database';
import { immediately } from '../../../main/store/immediately';
import { tempDir } from '../../helpers/station';

const rows = (id: string) => [
  { action: 'certificate.issued', subject: id },
  { action: 'device.provisioned', subject: id },
];

describe('AuditLog.appendWithin', () => {
  it("keeps the rows with the caller's savepoint and drops them with it", () => {
    const db = openDatabase(`${tempDir()}/audit.sqlite`);
    const audit = new AuditLog(db);
    audit.append('station.started', 'station');
    immediately(db, () => audit.appendWithin(rows('dev-1')));
    expect(() =>
      immediately(db, () => {
        audit.appendWithin(rows('dev-2'));
        throw new Error('a later step of the device failed');
      }),
    ).toThrow('a later step');
    immediately(db, () => audit.appendWithin(rows('dev-3')));
    expect(audit.entries().map((e) => `${e.seq} ${e.subject}`)).toEqual([
      '1 station',
      '2 dev-1',
      '3 dev-1',
      '4 dev-3',
      '5 dev-3',
    ]);
    expect(verifyAuditChain(db)).toMatchObject({ ok: true, rows: 5, head: { seq: 5 } });
    db.close();
  });

  it('refuses to append outside a transaction, where nothing would roll it back', () => {
    const db = openDatabase(`${tempDir()}/audit.sqlite`);
    expect(() => new AuditLog(db).appendWithin(rows('dev-1'))).toThrow(/needs the caller's transaction/);
    expect(new AuditLog(db).entries()).toEqual([]);
    db.close();
  });
});
