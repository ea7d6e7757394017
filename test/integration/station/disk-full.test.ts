// A full disk, and a file system gone read-only, in the middle of a batch (#22). Full: the data
// folder on a small tmpfs of its own (a mount namespace of the CLI's own, as root), filled until a
// batch of simulated modems runs out of room part-way. Every device ends DISK_FULL at the step it
// was on; nothing half-written counts as done; with the space freed the same batch finishes: every
// device verified, one certificate each on the ledger and in the modem (0 lost CSRs, 0 duplicates),
// the audit chain whole. Read-only: the same, on ext4 that goes read-only after a disk error.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { x509 } from '../../../main/pki/crypto';
import { enrollerBin, runEnroller } from '../../helpers/cli';
import { ptyModems } from '../../helpers/pty';
import type { PtySimulator } from '../../../main/devices/nrf91-sim/pty-host';
import { tempDir } from '../../helpers/station';

const TAG = 16842753;
const cleanup: Array<() => Promise<void>> = [];
afterAll(async () => {
  await Promise.all(cleanup.map((c) => c()));
});

function run(command: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const lines = (file: string) =>
  fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

/** A station with a CA (in `seed`, copied into the test's own mount), simulated modems, and the provision command. */
async function bench(prefix: string, keygenDelayMs: number) {
  const seed = tempDir();
  const work = tempDir(prefix);
  const pass = path.join(work, 'pass');
  fs.writeFileSync(pass, 'disk full passphrase');
  expect((await runEnroller(seed, 'ca', 'init', '--passphrase-file', pass)).code).toBe(0);
  const sims = await ptyModems(6, { baudRate: 115200, keygenDelayMs });
  cleanup.push(async () => void (await Promise.all(sims.map((s) => s.close()))));
  const data = path.join(work, 'data');
  fs.mkdirSync(data);
  const provision = [
    process.execPath,
    enrollerBin,
    '--data-dir',
    data,
    '--no-attach',
    '--json',
    'provision',
    ...sims.flatMap((s) => ['--port', s.hostPath]),
    '--device-type',
    'nrf91-default',
    '--passphrase-file',
    pass,
  ];
  return { seed, work, sims, provision };
}

describe('a full disk during a batch', () => {
  it('ends each device DISK_FULL where it was; freed, the batch resumes: 0 lost, 0 twice', async () => {
    const { seed, work, sims, provision } = await bench('enroller-disk-full-', 50);
    // 120 KB of room is enough to start the batch and not enough to finish it (measured: every device
    // gets as far as its key before the database runs out of room).
    const script = [
      'set -e',
      'mount -t tmpfs -o size=2m tmpfs "$1/data"',
      `cp -a "${seed}/." "$1/data/"`,
      'free=$(df -k --output=avail "$1/data" | tail -1)',
      'dd if=/dev/zero of="$1/data/filler" bs=1k count=$((free - 120)) 2> /dev/null || true',
      'work=$1; shift',
      '"$@" > "$work/first.json" || true',
      'rm -f "$work/data/filler"',
      '"$@" > "$work/second.json" || true',
      'cp -a "$work/data" "$work/after"',
    ].join('\n');
    const ran = await run('unshare', ['-m', 'sh', '-c', script, 'sh', work, ...provision]);
    expect(ran.code, ran.stderr).toBe(0);

    const first = lines(path.join(work, 'first.json'));
    const devices = first.filter((l) => l.port !== undefined);
    expect(devices.length, JSON.stringify(first)).toBe(sims.length);
    for (const line of devices) {
      expect(line).toMatchObject({ status: 'failed', code: 'DISK_FULL' });
      expect(line.message).toMatch(/full.*resumes from its last committed step/);
    }
    // In the middle: keys were made in the modems before the room ran out (and some certificates may
    // have reached a modem without their write being recorded: the resume writes and proves them again).
    expect(sims.filter((s) => s.simulator.store.get(TAG, 2)).length).toBeGreaterThan(0);

    await expectResumed(work, sims);
  });

  // The data folder on ext4 (a loop file, errors=remount-ro) that meets a disk error while every modem
  // is making its key: the kernel turns the file system read-only under the open database, as a
  // failing disk does. Checked with e2fsck and mounted again, the same batch finishes.
  it('ends each device DISK_READ_ONLY when its disk goes read-only mid-batch; mounted again, it resumes', async () => {
    const { seed, work, sims, provision } = await bench('enroller-read-only-', 2500);
    const trigger = path.join(work, 'trigger');
    const script = [
      'set -e',
      'truncate -s 16M "$1/disk.img"',
      'mkfs.ext4 -q -F "$1/disk.img"',
      'mount -o loop,errors=remount-ro "$1/disk.img" "$1/data"',
      `cp -a "${seed}/." "$1/data/"`,
      // The copied station reaches the disk before the fault (what the station writes, it syncs itself).
      'sync -f "$1/data"',
      'dev=$(basename "$(findmnt -n -o SOURCE "$1/data")")',
      'work=$1; shift',
      '"$@" > "$work/first.json" &',
      'batch=$!',
      'while [ ! -f "$work/trigger" ]; do sleep 0.05; done',
      'echo 1 > "/sys/fs/ext4/$dev/trigger_fs_error"',
      'wait $batch || true',
      'findmnt -n -o OPTIONS "$work/data" > "$work/options"',
      '"$@" > "$work/refused.json" || true',
      'umount "$work/data"',
      'e2fsck -fy "$work/disk.img" > /dev/null 2>&1 || true',
      'mount -o loop "$work/disk.img" "$work/data"',
      '"$@" > "$work/second.json" || true',
      'cp -a "$work/data" "$work/after"',
      'umount "$work/data"',
    ].join('\n');
    const ran = run('unshare', ['-m', 'sh', '-c', script, 'sh', work, ...provision]);
    // Every modem is in KEYGEN (2.5 s): the station has recorded who each device is and waits for its CSR.
    await expect
      .poll(() => sims.every((s) => s.simulator.received.some((c) => c.startsWith('AT%KEYGEN'))), {
        timeout: 60_000,
        interval: 50,
      })
      .toBe(true);
    fs.writeFileSync(trigger, '');
    const { code, stderr } = await ran;
    expect(code, stderr).toBe(0);
    expect(fs.readFileSync(path.join(work, 'options'), 'utf8')).toMatch(/^ro,|emergency_ro/);

    const devices = lines(path.join(work, 'first.json')).filter((l) => l.port !== undefined);
    expect(devices).toHaveLength(sims.length);
    for (const line of devices) {
      expect(line, JSON.stringify(line)).toMatchObject({ status: 'failed', code: 'DISK_READ_ONLY' });
      expect(line.message).toMatch(/went read-only.*resumes from its last committed step/);
    }
    // Run again on the read-only folder: refused at once with the same code, not a bare SQLite error.
    expect(lines(path.join(work, 'refused.json'))).toEqual([
      expect.objectContaining({ status: 'failed', code: 'DISK_READ_ONLY' }),
    ]);
    await expectResumed(work, sims);
  });
});

/** After the second run: every device verified, one certificate each on the ledger and in its modem. */
async function expectResumed(work: string, sims: PtySimulator[]): Promise<void> {
  const second = lines(path.join(work, 'second.json'));
  expect(
    second.map((l) => l.status),
    JSON.stringify(second),
  ).toEqual(Array(sims.length).fill('verified'));
  const db = new Database(path.join(work, 'after', 'station.sqlite'), { readonly: true });
  try {
    const issued = db.prepare("SELECT device_id, serial FROM certificates WHERE status = 'issued'").all() as Array<{
      device_id: string;
      serial: string;
    }>;
    expect(new Set(issued.map((c) => c.device_id)).size).toBe(sims.length);
    expect(issued).toHaveLength(sims.length);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    // Each modem holds the certificate the ledger has for it.
    for (const sim of sims) {
      const leaf = new x509.X509Certificate(
        sim.simulator.store
          .get(TAG, 1)!
          .content.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)![0],
      );
      expect(issued).toContainEqual({ device_id: `nrf-${sim.simulator.imei}`, serial: leaf.serialNumber });
    }
  } finally {
    db.close();
  }
  expect((await runEnroller(path.join(work, 'after'), 'audit', 'verify')).lines[0]).toMatchObject({ status: 'ok' });
}
