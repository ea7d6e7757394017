// Backups and restore (#22), on the real SQLite file and the real CLI:
//  1. A backup taken while a running station issues a bulk run of CSRs, the data folder destroyed,
//     the backup restored: the CA, the ledger and the audit trail are as at the backup, and the
//     database is healthy (`doctor`).
//  2. A restore over a newer ledger is refused without --force, naming what would be forgotten;
//     with --force the replaced database is kept aside. A wrong passphrase or a changed file is refused.
//  3. A garbage file and a damaged database give STORE_NOT_A_DATABASE / STORE_CORRUPT with the newest
//     backup named as the way back.
//  4. Roles: an auditor may back up, an operator may not; restore is for supervisors.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { runEnroller, serve } from '../../helpers/cli';
import { makeCsr } from '../../helpers/csr';
import { ptyModems } from '../../helpers/pty';
import { startSwtpm } from '../../support/swtpm';
import { startEstServer } from '../../support/est-server';
import { addEstProfile } from '../../helpers/setups';
import { tempDir } from '../../helpers/station';

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  await Promise.all(cleanups.map((c) => c()));
});

function file(dir: string, name: string, text: string | Uint8Array): string {
  fs.writeFileSync(path.join(dir, name), text);
  return path.join(dir, name);
}

async function csrFolder(count: number, prefix: string): Promise<string> {
  const dir = tempDir();
  await Promise.all(
    Array.from({ length: count }, async (_, i) =>
      file(dir, `${prefix}-${i}.der`, await makeCsr({ name: `CN=${prefix}-${i}` })),
    ),
  );
  return dir;
}

/** `enroll --csr FOLDER --profile PROFILE --out-dir OUT --passphrase-file PASS` on the station in `dir`. */
function enrollFolder(dir: string, csrs: string, profile: string, out: string, pass: string) {
  return runEnroller(dir, 'enroll', '--csr', csrs, '--profile', profile, '--out-dir', out, '--passphrase-file', pass);
}

const ledger = (dir: string) => {
  const db = new Database(path.join(dir, 'station.sqlite'), { readonly: true });
  try {
    return (
      db.prepare("SELECT serial FROM certificates WHERE status = 'issued' ORDER BY serial").all() as Array<{
        serial: string;
      }>
    ).map((r) => r.serial);
  } finally {
    db.close();
  }
};

describe('backup and restore', () => {
  it('a backup taken during a bulk run restores the CA, the ledger and the audit trail as they were', async () => {
    const dir = tempDir();
    const work = tempDir();
    const pass = file(work, 'pass', 'backup test passphrase');
    await runEnroller(dir, 'ca', 'init', '--passphrase-file', pass);
    const ca = (await runEnroller(dir, 'ca', 'status')).lines[0]!;
    const served = await serve(dir, ['--passphrase-file', pass]);
    let backup: Record<string, unknown>;
    try {
      const csrs = await csrFolder(300, 'bulk');
      const running = enrollFolder(dir, csrs, 'local', path.join(work, 'out'), pass);
      // The backup is taken once the run has issued its first certificates (their files are out).
      const out = path.join(work, 'out');
      const deadline = Date.now() + 60_000;
      while ((fs.existsSync(out) ? fs.readdirSync(out).length : 0) < 20 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      const taken = await runEnroller(
        dir,
        'backup',
        '--out',
        path.join(work, 'station.backup'),
        '--passphrase-file',
        pass,
      );
      expect(taken.code, JSON.stringify(taken.lines)).toBe(0);
      backup = taken.lines[0]!;
      expect((await running).lines.filter((l) => l.status !== 'issued')).toEqual([]);
    } finally {
      await served.stop();
    }
    const counts = backup.counts as { certificates: number; auditRows: number };
    expect(counts.certificates).toBeGreaterThanOrEqual(10);

    fs.rmSync(dir, { recursive: true, force: true });
    const restored = await runEnroller(dir, 'restore', path.join(work, 'station.backup'), '--passphrase-file', pass);
    expect(restored.code, JSON.stringify(restored.lines)).toBe(0);
    expect(restored.lines[0]).toMatchObject({ status: 'restored' });
    expect(restored.lines[0]!.keptAside).toBeUndefined();
    expect((await runEnroller(dir, 'ca', 'status')).lines[0]).toEqual(ca);
    // Every ledger row the backup counted, issued or reserved (a signature in flight at the backup is a
    // reservation: the restored station finishes it when that CSR comes again).
    const rows = new Database(path.join(dir, 'station.sqlite'), { readonly: true });
    try {
      expect(rows.prepare('SELECT COUNT(*) AS n FROM certificates').get()).toEqual({ n: counts.certificates });
    } finally {
      rows.close();
    }
    expect(ledger(dir).length).toBeGreaterThanOrEqual(10);
    const verified = await runEnroller(dir, 'audit', 'verify');
    expect(verified.code).toBe(0);
    // As at the backup, plus the row that records the restore itself.
    expect(verified.lines[0]).toMatchObject({ status: 'ok', rows: counts.auditRows + 1 });
    expect((await runEnroller(dir, 'doctor')).lines[0]).toMatchObject({ status: 'healthy', problems: [] });
  });

  it('will not go back over a newer ledger without --force, and keeps the replaced database aside', async () => {
    const dir = tempDir();
    const work = tempDir();
    const pass = file(work, 'pass', 'backup test passphrase');
    await runEnroller(dir, 'ca', 'init', '--passphrase-file', pass);
    const enroll = async (prefix: string) =>
      enrollFolder(dir, await csrFolder(3, prefix), 'local', path.join(work, prefix), pass);
    await enroll('before');
    const backupFile = path.join(work, 'early.backup');
    expect((await runEnroller(dir, 'backup', '--out', backupFile, '--passphrase-file', pass)).code).toBe(0);
    const atBackup = ledger(dir);
    await enroll('after');
    const everything = ledger(dir);

    const refused = await runEnroller(dir, 'restore', backupFile, '--passphrase-file', pass);
    expect(refused.code).toBe(1);
    expect(refused.lines[0]).toMatchObject({ code: 'RESTORE_WOULD_FORGET' });
    expect(refused.lines[0]!.message).toMatch(
      /would forget 3 certificate\(s\) issued by the station CA and 0 from a service, 0 queue item\(s\)/,
    );
    expect(ledger(dir)).toEqual(everything);

    const wrong = file(work, 'wrong', 'not the passphrase');
    expect((await runEnroller(dir, 'restore', backupFile, '--passphrase-file', wrong)).lines[0]).toMatchObject({
      code: 'BACKUP_WRONG_PASSPHRASE',
    });
    // A manifest edited after the fact no longer opens: it is bound into the seal.
    const edited = JSON.parse(fs.readFileSync(backupFile, 'utf8')) as { manifest: { createdAt: string } };
    edited.manifest.createdAt = '2099-01-01T00:00:00.000Z';
    const editedFile = file(work, 'edited.backup', JSON.stringify(edited));
    expect((await runEnroller(dir, 'restore', editedFile, '--passphrase-file', pass)).lines[0]).toMatchObject({
      code: 'BACKUP_WRONG_PASSPHRASE',
    });
    expect(
      (await runEnroller(dir, 'restore', file(work, 'junk', 'junk'), '--passphrase-file', pass)).lines[0],
    ).toMatchObject({
      code: 'BACKUP_INVALID',
    });

    const forced = await runEnroller(dir, 'restore', backupFile, '--passphrase-file', pass, '--force');
    expect(forced.code, JSON.stringify(forced.lines)).toBe(0);
    expect(forced.lines[0]!.forgotten).toMatchObject({ certificates: 3, serviceCertificates: 0, queueItems: 0 });
    expect(ledger(dir)).toEqual(atBackup);
    const keptAside = forced.lines[0]!.keptAside as string;
    expect(fs.existsSync(keptAside)).toBe(true);
    const aside = new Database(keptAside, { readonly: true });
    expect(
      (aside.prepare("SELECT COUNT(*) AS n FROM certificates WHERE status = 'issued'").get() as { n: number }).n,
    ).toBe(everything.length);
    aside.close();
  });

  it('counts certificates a service issued since the backup among what a restore would forget', async () => {
    const dir = tempDir();
    const work = tempDir();
    const pass = file(work, 'pass', 'backup test passphrase');
    await runEnroller(dir, 'ca', 'init', '--passphrase-file', pass);
    const est = await startEstServer({ user: 'line-4', password: 'est-secret' });
    cleanups.push(() => est.close());
    await addEstProfile(dir, 'factory-est', est, { user: 'line-4', password: 'est-secret', passFile: pass });
    const backupFile = path.join(work, 'before-the-service.backup');
    expect((await runEnroller(dir, 'backup', '--out', backupFile, '--passphrase-file', pass)).code).toBe(0);
    const enrolled = await enrollFolder(dir, await csrFolder(2, 'est'), 'factory-est', path.join(work, 'est'), pass);
    expect(enrolled.lines.map((l) => l.status)).toEqual(['issued', 'issued']);
    const refused = await runEnroller(dir, 'restore', backupFile, '--passphrase-file', pass);
    expect(refused.lines[0]).toMatchObject({
      code: 'RESTORE_WOULD_FORGET',
      details: { certificates: 0, serviceCertificates: 2 },
    });
  });

  it('a garbage file, a damaged file, a newer schema: each named, the newest backup as the way back', async () => {
    const dir = tempDir();
    const work = tempDir();
    const pass = file(work, 'pass', 'backup test passphrase');
    await runEnroller(dir, 'ca', 'init', '--passphrase-file', pass);
    await enrollFolder(dir, await csrFolder(40, 'd'), 'local', path.join(work, 'out'), pass);
    const backupFile = path.join(work, 'known.backup');
    await runEnroller(dir, 'backup', '--out', backupFile, '--passphrase-file', pass);
    const database = path.join(dir, 'station.sqlite');

    // Damaged: pages in the middle of the file overwritten (the database checkpointed and closed first).
    const copy = tempDir();
    fs.copyFileSync(database, path.join(copy, 'station.sqlite'));
    fs.copyFileSync(path.join(dir, 'backups.json'), path.join(copy, 'backups.json'));
    const bytes = fs.readFileSync(path.join(copy, 'station.sqlite'));
    bytes.fill(0x5a, 4096 * 3, 4096 * 6);
    fs.writeFileSync(path.join(copy, 'station.sqlite'), bytes);
    const doctor = await runEnroller(copy, 'doctor');
    expect(doctor.code).toBe(1);
    const damaged = doctor.lines[0]!;
    expect(['STORE_CORRUPT', undefined]).toContain(damaged.code);
    if (damaged.code) expect(damaged.message).toContain(`enroller restore ${backupFile}`);
    else expect(damaged).toMatchObject({ status: 'damaged' });

    // Written by a newer station: the schema it names, and the backup to go back to.
    const newer = tempDir();
    fs.copyFileSync(path.join(dir, 'backups.json'), path.join(newer, 'backups.json'));
    await runEnroller(newer, 'info');
    const later = new Database(path.join(newer, 'station.sqlite'));
    later.pragma(`user_version = ${Number(later.pragma('user_version', { simple: true })) + 1}`);
    later.close();
    const refusedNewer = (await runEnroller(newer, 'ca', 'status')).lines[0]!;
    expect(refusedNewer).toMatchObject({ code: 'STORE_NEWER_SCHEMA' });
    expect(refusedNewer.message).toMatch(/newer station[\s\S]*enroller restore /);
    expect(refusedNewer.message).toContain(backupFile);

    // Garbage: not a database at all.
    fs.writeFileSync(database, 'these are not the bytes of a database');
    for (const file of ['station.sqlite-wal', 'station.sqlite-shm']) fs.rmSync(path.join(dir, file), { force: true });
    const info = await runEnroller(dir, 'device', 'list');
    expect(info.lines[0]).toMatchObject({ code: 'STORE_NOT_A_DATABASE' });
    expect(info.lines[0]!.message).toContain(`enroller restore ${backupFile}`);
    // And the way back works from there.
    expect((await runEnroller(dir, 'restore', backupFile, '--passphrase-file', pass)).code).toBe(0);
    expect((await runEnroller(dir, 'doctor')).lines[0]).toMatchObject({ status: 'healthy' });
  });

  it('auditors may back up, operators may not; restore is for supervisors', async () => {
    const dir = tempDir();
    const work = tempDir();
    const pass = file(work, 'pass', 'backup test passphrase');
    const pin = (name: string, value: string) => file(work, `${name}.pin`, value);
    await runEnroller(dir, 'ca', 'init', '--passphrase-file', pass);
    await runEnroller(dir, 'operator', 'add', 'sam', '--role', 'supervisor', '--new-pin-file', pin('sam', '2468'));
    const asSam = ['--pin-file', pin('sam', '2468')];
    await runEnroller(
      dir,
      ...asSam,
      'operator',
      'add',
      'ada',
      '--role',
      'auditor',
      '--new-pin-file',
      pin('ada', '1357'),
    );
    await runEnroller(
      dir,
      ...asSam,
      'operator',
      'add',
      'olga',
      '--role',
      'operator',
      '--new-pin-file',
      pin('olga', '9753'),
    );
    const backupFile = path.join(work, 'roles.backup');
    const byOlga = await runEnroller(
      dir,
      '--pin-file',
      pin('olga', '9753'),
      'backup',
      '--out',
      backupFile,
      '--passphrase-file',
      pass,
    );
    expect(byOlga.lines[0]).toMatchObject({ code: 'AUTH_FORBIDDEN' });
    const byAda = await runEnroller(
      dir,
      '--pin-file',
      pin('ada', '1357'),
      'backup',
      '--out',
      backupFile,
      '--passphrase-file',
      pass,
    );
    expect(byAda.code, JSON.stringify(byAda.lines)).toBe(0);
    const restoreByAda = await runEnroller(
      dir,
      '--pin-file',
      pin('ada', '1357'),
      'restore',
      backupFile,
      '--passphrase-file',
      pass,
      '--force',
    );
    expect(restoreByAda.lines[0]).toMatchObject({ code: 'AUTH_FORBIDDEN' });
    expect((await runEnroller(dir, ...asSam, 'restore', backupFile, '--passphrase-file', pass, '--force')).code).toBe(
      0,
    );
  });

  it('serve --backup-dir takes backups on a schedule, keeps the newest, and each one restores', async () => {
    const dir = tempDir();
    const work = tempDir();
    const pass = file(work, 'pass', 'backup test passphrase');
    await runEnroller(dir, 'ca', 'init', '--passphrase-file', pass);
    const folder = path.join(work, 'scheduled');
    const served = await serve(dir, [
      '--passphrase-file',
      pass,
      '--backup-dir',
      folder,
      '--backup-every',
      '1s',
      '--backup-keep',
      '2',
    ]);
    try {
      // Three or more backups taken, two kept: the schedule runs and prunes (no time is asserted).
      const deadline = Date.now() + 60_000;
      const backupsTaken = () => {
        const db = new Database(path.join(dir, 'station.sqlite'), { readonly: true });
        try {
          return (
            db.prepare("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'station.backed-up'").get() as {
              n: number;
            }
          ).n;
        } finally {
          db.close();
        }
      };
      while (Date.now() < deadline && backupsTaken() < 3) await new Promise((r) => setTimeout(r, 200));
      expect(backupsTaken()).toBeGreaterThanOrEqual(3);
    } finally {
      await served.stop();
    }
    // Read once the station has stopped (it finishes a backup under way first): each backup is
    // written before the oldest goes, so while one is under way the folder holds keep + 1.
    const taken = fs.readdirSync(folder).sort();
    expect(taken).toHaveLength(2);
    for (const name of taken) expect(name).toMatch(/^station-\d{8}T\d{9}Z\.backup$/);
    const fresh = tempDir();
    const restored = await runEnroller(fresh, 'restore', path.join(folder, taken[1]!), '--passphrase-file', pass);
    expect(restored.code, JSON.stringify(restored.lines)).toBe(0);
    expect((await runEnroller(fresh, 'info')).lines[0]).toMatchObject({ lastBackupFile: path.join(folder, taken[1]!) });
    // Without a passphrase to seal them with, scheduled backups are refused at start, in words.
    const refused = await runEnroller(dir, 'serve', '--backup-dir', folder);
    expect(refused.lines[0]).toMatchObject({ code: 'CA_PASSPHRASE_REQUIRED' });
  });

  it('a device enrolled after the backup is recognised by its certificate after a restore, not reissued', async () => {
    const dir = tempDir();
    const work = tempDir();
    const pass = file(work, 'pass', 'backup test passphrase');
    await runEnroller(dir, 'ca', 'init', '--passphrase-file', pass);
    const backupFile = path.join(work, 'before-the-device.backup');
    await runEnroller(dir, 'backup', '--out', backupFile, '--passphrase-file', pass);
    const [modem] = await ptyModems(1, { keygenDelayMs: 50 });
    cleanups.push(() => modem!.close());
    const provision = (...extra: string[]) =>
      runEnroller(
        dir,
        'provision',
        '--port',
        modem!.hostPath,
        '--device-type',
        'nrf91-default',
        '--passphrase-file',
        pass,
        ...extra,
      );
    const enrolled = (await provision()).lines[0]!;
    expect(enrolled).toMatchObject({ status: 'verified' });

    expect((await runEnroller(dir, 'restore', backupFile, '--passphrase-file', pass, '--force')).code).toBe(0);
    expect(ledger(dir)).toEqual([]);
    const again = (await provision()).lines[0]!;
    expect(again).toMatchObject({
      status: 'verified',
      code: 'DEVICE_RECOGNISED',
      deviceId: enrolled.deviceId,
      certSerial: enrolled.certSerial,
    });
    // Back on the ledger (so it can be revoked), and no second certificate was issued.
    expect(ledger(dir)).toEqual([enrolled.certSerial]);
    expect((await runEnroller(dir, 'device', 'show', enrolled.deviceId as string)).lines[0]).toMatchObject({
      mode: 'OPERATIONAL',
    });
    expect(
      (await runEnroller(dir, 'revoke', '--serial', enrolled.certSerial as string, '--reason', 'superseded')).code,
    ).toBe(0);
  });

  it('a TPM enrolled after the backup is recognised by the certificate in its NV index after a restore', async () => {
    const dir = tempDir();
    const work = tempDir();
    const pass = file(work, 'pass', 'backup test passphrase');
    await runEnroller(dir, 'ca', 'init', '--passphrase-file', pass);
    const backupFile = path.join(work, 'before-the-tpm.backup');
    await runEnroller(dir, 'backup', '--out', backupFile, '--passphrase-file', pass);
    const swtpm = await startSwtpm();
    cleanups.push(() => swtpm.stop());
    const provision = () =>
      runEnroller(
        dir,
        'provision',
        '--tpm',
        swtpm.tcti,
        '--serial',
        'SN-RESTORE-1',
        '--device-type',
        'tpm-default',
        '--passphrase-file',
        pass,
      );
    const enrolled = (await provision()).lines[0]!;
    expect(enrolled, JSON.stringify(enrolled)).toMatchObject({ status: 'verified' });
    expect((await runEnroller(dir, 'restore', backupFile, '--passphrase-file', pass, '--force')).code).toBe(0);
    const again = (await provision()).lines[0]!;
    expect(again).toMatchObject({ status: 'verified', code: 'DEVICE_RECOGNISED', certSerial: enrolled.certSerial });
    expect(ledger(dir)).toEqual([enrolled.certSerial]);
  });
});
