// Many stations, one ledger (#23), against Debian's PostgreSQL with TLS (verify-full), two stations
// on two data folders, through the real CLI:
//  1. Joining: a URL without a CA, a CA that did not sign the server, a wrong password and a wrong
//     station name are each refused with their own code.
//  2. One device ID on both stations while the fleet is up: the second station is refused
//     (FLEET_DEVICE_CLAIMED, the holder named) and issues nothing.
//  3. The fleet down: both stations issue the same ID under their own rules; at sync the second is
//     reported as a conflict (in `fleet sync` and `fleet status`), never merged.
//  4. `fleet report` lists every device with its station, status, serial and time.
//  5. One station cannot rewrite another's rows; audit anchors cannot be changed; a rewritten
//     audit trail is found at the next sync.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runEnroller, serve } from '../../helpers/cli';
import { makeCsr } from '../../helpers/csr';
import { tempDir } from '../../helpers/station';
import { prepareFleet, startFleetServer, type FleetServer, type PreparedFleet } from '../../support/fleet-postgres';

let server: FleetServer;
let fleet: PreparedFleet;
const secrets = tempDir('enroller-fleet-test-');
const passFile = path.join(secrets, 'station.pass');
const stationPass = (name: string) => fleet.passwordFile(name);
const role = (name: string) => fleet.role(name);

beforeAll(async () => {
  server = await startFleetServer();
  fs.writeFileSync(passFile, 'station passphrase 1', { mode: 0o600 });
  fleet = await prepareFleet(server, ['line-a', 'line-b', 'line-c']);
}, 60_000);

afterAll(() => server?.close());

async function station(name: string): Promise<string> {
  const dir = tempDir(`enroller-fleet-${name}-`);
  const init = await runEnroller(dir, 'ca', 'init', '--passphrase-file', passFile);
  expect(init.code, init.stderr).toBe(0);
  const joined = await runEnroller(
    dir,
    'fleet',
    'join',
    server.url(role(name)),
    '--password-file',
    stationPass(name),
    '--station',
    name,
  );
  expect(joined.lines.at(-1), joined.stderr).toMatchObject({ status: 'joined', station: name });
  return dir;
}

async function enrollOne(dir: string, deviceId: string) {
  const csrs = tempDir();
  fs.writeFileSync(path.join(csrs, `${deviceId}.der`), await makeCsr({ name: `CN=${deviceId}` }));
  const run = await runEnroller(
    dir,
    'enroll',
    '--csr',
    csrs,
    '--profile',
    'local',
    '--out-dir',
    path.join(dir, 'out'),
    '--passphrase-file',
    passFile,
  );
  return run.lines.find((l) => l.deviceId === deviceId) ?? run.lines.at(-1)!;
}

function issuedOn(dir: string, deviceId: string): number {
  const db = new Database(path.join(dir, 'station.sqlite'), { readonly: true });
  try {
    return (
      db.prepare("SELECT count(*) AS n FROM certificates WHERE device_id = ? AND status = 'issued'").get(deviceId) as {
        n: number;
      }
    ).n;
  } finally {
    db.close();
  }
}

describe('fleet ledger in PostgreSQL', () => {
  let a: string;
  let b: string;

  it('refuses to join without verify-full TLS, with a wrong CA, password or station name', async () => {
    const dir = tempDir();
    const bare = server.url(role('line-a')).replace(/\?.*$/, '');
    const noCa = await runEnroller(dir, 'fleet', 'join', bare, '--password-file', stationPass('line-a'));
    expect(noCa.lines.at(-1)).toMatchObject({ code: 'FLEET_TLS_REQUIRED' });
    const disabled = await runEnroller(
      dir,
      'fleet',
      'join',
      `${bare}?sslmode=disable`,
      '--password-file',
      stationPass('line-a'),
    );
    expect(disabled.lines.at(-1)).toMatchObject({ code: 'FLEET_TLS_REQUIRED' });

    const otherCa = path.join(secrets, 'other-ca.pem');
    const { execFileSync } = await import('node:child_process');
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'].concat([
        '-keyout',
        path.join(secrets, 'other.key'),
        '-out',
        otherCa,
        '-days',
        '1',
        '-subj',
        '/CN=Other CA',
      ]),
      { stdio: 'pipe' },
    );
    const wrongCa = await runEnroller(
      dir,
      'fleet',
      'join',
      `${bare}?sslmode=verify-full&sslrootcert=${otherCa}`,
      '--password-file',
      stationPass('line-a'),
    );
    expect(wrongCa.lines.at(-1)).toMatchObject({ code: 'FLEET_TLS_UNTRUSTED' });

    const wrongPassword = await runEnroller(
      dir,
      'fleet',
      'join',
      server.url(role('line-a')),
      '--password-file',
      stationPass('line-b'),
    );
    expect(wrongPassword.lines.at(-1)).toMatchObject({ code: 'FLEET_AUTH_FAILED' });

    const wrongName = await runEnroller(
      dir,
      'fleet',
      'join',
      server.url(role('line-a')),
      '--password-file',
      stationPass('line-a'),
      '--station',
      'line-b',
    );
    expect(wrongName.lines.at(-1)).toMatchObject({ code: 'FLEET_STATION_MISMATCH' });
    expect((await runEnroller(dir, 'fleet', 'status')).lines.at(-1)).toMatchObject({ joined: false });
  }, 60_000);

  it('claims a device ID fleet-wide: the second station is refused and issues nothing', async () => {
    a = await station('line-a');
    b = await station('line-b');
    expect(await enrollOne(a, 'dev-1')).toMatchObject({ status: 'issued' });
    const refused = await enrollOne(b, 'dev-1');
    expect(refused).toMatchObject({ status: 'failed', code: 'FLEET_DEVICE_CLAIMED' });
    expect(String(refused.message)).toContain('line-a');
    expect(issuedOn(b, 'dev-1')).toBe(0);
    expect(issuedOn(a, 'dev-1')).toBe(1);
  }, 60_000);

  it('reports an ID issued on two stations while the fleet was down as a conflict, never merged', async () => {
    server.stop();
    expect(await enrollOne(a, 'dev-2')).toMatchObject({ status: 'issued' });
    expect(await enrollOne(b, 'dev-2')).toMatchObject({ status: 'issued' });
    const away = await runEnroller(b, 'fleet', 'status');
    expect(away.lines.at(-1)).toMatchObject({ joined: true, reachable: false, code: 'FLEET_UNREACHABLE' });
    expect((await runEnroller(b, 'fleet', 'sync')).lines.at(-1)).toMatchObject({ code: 'FLEET_UNREACHABLE' });
    server.start();

    const syncA = await runEnroller(a, 'fleet', 'sync');
    expect(syncA.lines.at(-1), syncA.stderr).toMatchObject({ status: 'synced', station: 'line-a', conflicts: 0 });
    const syncB = await runEnroller(b, 'fleet', 'sync');
    expect(syncB.lines).toContainEqual(
      expect.objectContaining({ status: 'conflict', deviceId: 'dev-2', holder: 'line-a' }),
    );
    expect(syncB.lines.at(-1)).toMatchObject({ status: 'synced', conflicts: 1 });
    // Both certificates stay where they are: the conflict is for a person to settle.
    expect(issuedOn(a, 'dev-2')).toBe(1);
    expect(issuedOn(b, 'dev-2')).toBe(1);
    const status = (await runEnroller(b, 'fleet', 'status')).lines.at(-1)!;
    expect(status).toMatchObject({ reachable: true, pending: 0 });
    expect(status.conflicts).toEqual([
      expect.objectContaining({ deviceId: 'dev-2', station: 'line-b', holder: 'line-a' }),
    ]);
    // A second sync sends nothing again and finds no new conflict.
    expect((await runEnroller(b, 'fleet', 'sync')).lines.at(-1)).toMatchObject({ sent: 0, conflicts: 0 });
  }, 90_000);

  it('a station that joins while it runs claims IDs from its next batch on (no restart)', async () => {
    const dir = tempDir('enroller-fleet-line-c-');
    expect((await runEnroller(dir, 'ca', 'init', '--passphrase-file', passFile)).code).toBe(0);
    const served = await serve(dir, ['--passphrase-file', passFile]);
    try {
      // Both commands go through the running station (its socket), as a line engineer's would.
      const joined = await runEnroller(
        dir,
        ...['fleet', 'join', server.url(role('line-c')), '--password-file', stationPass('line-c')],
      );
      expect(joined.lines.at(-1), joined.stderr).toMatchObject({ status: 'joined', station: 'line-c' });
      expect(await enrollOne(dir, 'dev-1')).toMatchObject({ status: 'failed', code: 'FLEET_DEVICE_CLAIMED' });
    } finally {
      await served.stop();
    }
    expect(issuedOn(dir, 'dev-1')).toBe(0);
  }, 60_000);

  it('reports every device with its station, status, serial and time', async () => {
    const report = await runEnroller(a, 'fleet', 'report');
    const rows = report.lines.filter((l) => l.deviceId === 'dev-1' || l.deviceId === 'dev-2');
    expect(rows).toContainEqual(expect.objectContaining({ deviceId: 'dev-1', station: 'line-a', status: 'done' }));
    expect(rows).toContainEqual(
      expect.objectContaining({
        deviceId: 'dev-1',
        station: 'line-b',
        status: 'failed',
        errorCode: 'FLEET_DEVICE_CLAIMED',
      }),
    );
    expect(rows).toContainEqual(expect.objectContaining({ deviceId: 'dev-2', station: 'line-b', status: 'done' }));
    const done = rows.find((r) => r.deviceId === 'dev-1' && r.station === 'line-a')!;
    expect(done.device).toBe('dev-1');
    expect(done.serial).toMatch(/^[0-9a-f]+$/);
    expect(Date.parse(String(done.time))).toBeGreaterThan(Date.now() - 10 * 60_000);
  }, 30_000);

  it("refuses a station that writes another station's rows, and changes to audit anchors", async () => {
    const client = await fleet.connectAs('line-b');
    try {
      const update = await client.query("UPDATE fleet.devices SET mode = 'DISABLED' WHERE station = 'line-a'");
      expect(update.rowCount).toBe(0);
      await expect(
        client.query("INSERT INTO fleet.devices VALUES ('line-a', 'forged', 'csr', 'OPERATIONAL', NULL, NULL, now())"),
      ).rejects.toMatchObject({ code: '42501' });
      await expect(client.query("DELETE FROM fleet.certificates WHERE station = 'line-a'")).rejects.toMatchObject({
        code: '42501',
      });
      await expect(client.query("UPDATE fleet.audit_anchors SET hash = 'x'")).rejects.toMatchObject({ code: '42501' });
      await expect(
        client.query("UPDATE fleet.device_claims SET station = 'line-b' WHERE device_id = 'dev-1'"),
      ).resolves.toMatchObject({ rowCount: 0 });
    } finally {
      await client.end();
    }
    expect(
      server.psql("SELECT count(*) FROM fleet.devices WHERE station = 'line-a' AND mode = 'DISABLED'").trim(),
    ).toBe('0');
    expect(server.psql("SELECT station FROM fleet.device_claims WHERE device_id = 'dev-1'").trim()).toBe('line-a');
  }, 30_000);

  it('finds an audit trail rewritten after its head was anchored', async () => {
    const anchored = Number(server.psql("SELECT audit_seq FROM fleet.stations WHERE name = 'line-a'").trim());
    expect(anchored).toBeGreaterThan(0);
    const db = new Database(path.join(a, 'station.sqlite'));
    db.prepare('UPDATE audit_log SET hash = ? WHERE seq = ?').run('f'.repeat(64), anchored);
    db.close();
    const sync = await runEnroller(a, 'fleet', 'sync');
    expect(sync.lines.at(-1)).toMatchObject({ code: 'FLEET_AUDIT_REWRITTEN' });
    expect(server.psql("SELECT audit_seq FROM fleet.stations WHERE name = 'line-a'").trim()).toBe(String(anchored));
  }, 30_000);
});
