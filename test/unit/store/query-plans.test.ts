// Every statement the station runs per certificate finds its rows through an index. A lookup that
// reads the whole table is invisible at a hundred rows and ruinous at a hundred thousand: the
// ledger once completed each certificate by serial alone, behind a key that leads with the issuer,
// and the 100,000-CSR benchmark slowed to 35 certificates/s. This runs enrollment for real (the CLI
// program in-process, CSR files through the pipeline on the station CA), records every statement
// prepared on the way, and asks SQLite for each one's plan.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../main/cli/program';
import { openDatabase } from '../../../main/store/database';
import { makeCsr } from '../../helpers/csr';
import { tempDir } from '../../helpers/station';

/** Statements SQLite calls a scan that are not one per certificate, or do not read the table whole. */
const WHOLE_TABLE = [
  /^SELECT \* FROM queue ORDER BY id$/, // `queue list`
  /FROM audit_log ORDER BY seq$/, // `audit export` / `audit verify`
  /FROM audit_log ORDER BY seq DESC LIMIT 1$/, // the newest row: walks the rowid from its end, one row
  /FROM operators WHERE role = 'supervisor' LIMIT 1$/, // the people of one station: a dozen rows
];

const seen = new Set<string>();
const proto = Database.prototype as unknown as { prepare(sql: string): unknown };
const prepare = proto.prepare;
proto.prepare = function (this: unknown, sql: string) {
  seen.add(sql.replace(/\s+/g, ' ').trim());
  return prepare.call(this, sql);
};
afterAll(() => {
  proto.prepare = prepare;
});

describe('query plans', () => {
  it('enrolling reads no table whole', async () => {
    const dataDir = tempDir();
    const work = tempDir();
    const pass = path.join(work, 'pass');
    fs.writeFileSync(pass, 'query plan passphrase');
    for (let i = 0; i < 3; i++) fs.writeFileSync(path.join(work, `d${i}.der`), await makeCsr({ name: `CN=plan-${i}` }));
    const cli = (...args: string[]) => runCli(['--data-dir', dataDir, '--no-attach', '--log-level', 'silent', ...args]);
    await cli('ca', 'init', '--passphrase-file', pass);
    const csrs = [0, 1, 2].map((i) => path.join(work, `d${i}.der`));
    await cli(
      '--json',
      'enroll',
      '--csr',
      ...csrs,
      '--profile',
      'local',
      '--out-dir',
      path.join(work, 'out'),
      '--passphrase-file',
      pass,
    );
    expect(fs.readdirSync(path.join(work, 'out'))).toHaveLength(6);

    const db = openDatabase(path.join(dataDir, 'station.sqlite'));
    const scans: string[] = [];
    for (const sql of seen) {
      if (!/^(SELECT|UPDATE|DELETE|INSERT)/i.test(sql) || WHOLE_TABLE.some((allowed) => allowed.test(sql))) continue;
      const named = Object.fromEntries((sql.match(/@\w+/g) ?? []).map((name) => [name.slice(1), null]));
      const params = named && Object.keys(named).length ? [named] : Array((sql.match(/\?/g) ?? []).length).fill(null);
      const plan = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>;
      // `SCAN CONSTANT ROW` is the one row of a SELECT without FROM (`SELECT EXISTS (…) OR …`): no table.
      const whole = plan.filter(
        (step) =>
          /^SCAN /.test(step.detail) &&
          !/USING (COVERING )?INDEX/.test(step.detail) &&
          step.detail !== 'SCAN CONSTANT ROW',
      );
      if (whole.length > 0) scans.push(`${sql}  →  ${whole.map((s) => s.detail).join('; ')}`);
    }
    db.close();
    expect(seen.size).toBeGreaterThan(20);
    expect(scans).toEqual([]);
  });
});
