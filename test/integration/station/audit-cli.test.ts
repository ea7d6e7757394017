// `enroller audit verify|export` on a real station's file: whole, then damaged by hand.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { runEnroller } from '../../helpers/cli';
import { tempDir } from '../../helpers/station';

describe('enroller audit', () => {
  it('verifies a whole trail, exports it with its head, and names a hand edit', async () => {
    const dir = tempDir();
    const pass = path.join(tempDir(), 'pass');
    fs.writeFileSync(pass, 'audit passphrase');
    await runEnroller(dir, 'ca', 'init', '--passphrase-file', pass);
    await runEnroller(dir, 'profile', 'add', 'spare', '--local');
    const whole = await runEnroller(dir, 'audit', 'verify');
    expect(whole).toMatchObject({ code: 0, lines: [{ status: 'ok' }] });
    const out = path.join(tempDir(), 'audit.jsonl');
    const exported = await runEnroller(dir, 'audit', 'export', '--out', out);
    expect(exported.lines[0]).toMatchObject({ status: 'exported', head: whole.lines[0]!.head });
    const rows = fs
      .readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { action: string });
    expect(rows.map((r) => r.action)).toEqual(expect.arrayContaining(['ca.initialized', 'profile.saved']));

    const db = new Database(path.join(dir, 'station.sqlite'));
    db.prepare("UPDATE audit_log SET subject = 'someone else' WHERE action = 'ca.initialized'").run();
    db.close();
    const broken = await runEnroller(dir, 'audit', 'verify');
    expect(broken).toMatchObject({
      code: 1,
      lines: [{ status: 'broken', code: 'AUDIT_CHAIN_BROKEN', problem: 'edited', seq: 1 }],
    });
    const ahead = await runEnroller(dir, 'audit', 'verify', '--expect-head', `999:${'a'.repeat(64)}`);
    expect(ahead.code).toBe(1);
  });
});
