// Two processes appending to one audit trail at once: every row lands, in one unbroken chain (an
// append reads the head under the write lock; it once read it before, and two processes took one seq).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { expect, it } from 'vitest';
import { verifyAuditChain } from '../../../main/store/audit-log';
import { repoRoot } from '../../helpers/cli';
import { openTestStation, tempDir } from '../../helpers/station';

it('two processes appending 150 rows each at once: 300 rows, one verified chain', async () => {
  const dataDir = tempDir();
  openTestStation(dataDir).close();
  const appender = (label: string) =>
    new Promise<number | null>((resolve) => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', path.join(repoRoot, 'test/support/audit-appender.ts'), dataDir, '150', label],
        { cwd: repoRoot, stdio: 'inherit' },
      );
      child.once('exit', resolve);
    });
  expect(await Promise.all([appender('left'), appender('right')])).toEqual([0, 0]);
  const station = openTestStation(dataDir);
  try {
    expect(station.db.prepare("SELECT count(*) AS n FROM audit_log WHERE action = 'test.append'").get()).toEqual({
      n: 300,
    });
    expect(verifyAuditChain(station.db)).toMatchObject({ ok: true });
  } finally {
    station.close();
  }
});
