// A one-time credential pool leased to two stations (#23), on Debian's PostgreSQL and the strict EST
// test server (which takes each one-time password once):
//  1. A supervisor publishes a bundle to the fleet; the secrets are not in the fleet in clear.
//  2. Two stations lease blocks; no credential goes to both; a lease for more than is left gets what
//     is left. Each station provisions simulated modems over EST with its leased codes: every code
//     is spent once, fleet-wide.
//  3. A wrong fleet passphrase leases nothing; a lease whose import was lost is imported by the next;
//     a station cannot take credentials another station leased; publishing the bundle twice is refused.
//  4. A device type and a profile with a password published by one station and pulled by the other:
//     the password is not in the fleet in clear, and the pulling station enrolls with it.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PtySimulator } from '../../../main/devices/nrf91-sim/pty-host';
import { runEnroller } from '../../helpers/cli';
import { nrf91Type } from '../../helpers/setups';
import { ptyModems } from '../../helpers/pty';
import { tempDir } from '../../helpers/station';
import { startEstServer, type EstServer } from '../../support/est-server';
import { prepareFleet, startFleetServer, type FleetServer, type PreparedFleet } from '../../support/fleet-postgres';

let server: FleetServer;
let fleet: PreparedFleet;
let est: EstServer;
const sims: PtySimulator[] = [];
const secrets = tempDir('enroller-pool-secrets-');
const file = (name: string, text: string) => (
  fs.writeFileSync(path.join(secrets, name), text, { mode: 0o600 }),
  path.join(secrets, name)
);
const pass = file('station.pass', 'station passphrase 2');
const fleetPass = file('fleet.pass', 'fleet passphrase 77');
const codes = Array.from({ length: 10 }, (_, i) => `code-${i}`);

beforeAll(async () => {
  server = await startFleetServer();
  fleet = await prepareFleet(server, ['pool-a', 'pool-b']);
  est = await startEstServer({
    user: 'line-9',
    password: 'shared line password',
    oneTimePasswords: codes.map((c) => `otp-${c}`),
  });
}, 60_000);

afterAll(async () => {
  await Promise.all(sims.map((s) => s.close()));
  await est?.close();
  server?.close();
});

async function station(name: string): Promise<string> {
  const dir = tempDir(`enroller-pool-${name}-`);
  expect((await runEnroller(dir, 'ca', 'init', '--passphrase-file', pass)).code).toBe(0);
  const profile = await runEnroller(
    dir,
    ...['profile', 'add', 'factory-est', '--est', est.url, '--user', 'line-9'],
    ...['--trust', file('trust.pem', est.tlsCaPem)],
  );
  expect(profile.code, profile.stderr).toBe(0);
  const joined = await runEnroller(
    dir,
    ...['fleet', 'join', server.url(fleet.role(name)), '--password-file', fleet.passwordFile(name)],
  );
  expect(joined.lines.at(-1)).toMatchObject({ status: 'joined' });
  return dir;
}

const lease = (dir: string, count: number, fleetPassFile = fleetPass) =>
  runEnroller(
    dir,
    ...['fleet', 'lease', '--profile', 'factory-est', '--count', String(count)],
    ...['--fleet-passphrase-file', fleetPassFile, '--passphrase-file', pass],
  );

const localCodes = async (dir: string) =>
  (await runEnroller(dir, 'bundle', 'list')).lines.map((l) => String(l.credentialId)).sort();

describe('one-time credential pools leased across the fleet', () => {
  let a: string;
  let b: string;

  it('publishes a bundle sealed, and leases disjoint blocks to two stations', async () => {
    a = await station('pool-a');
    b = await station('pool-b');
    const bundle = JSON.stringify({
      format: 'floor-enroller-bundle',
      version: 1,
      profile: 'factory-est',
      expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
      credentials: codes.map((id) => ({ id, secret: `otp-${id}` })),
    });
    const published = await runEnroller(
      a,
      ...['fleet', 'publish-bundle', file('bundle.json', bundle), '--fleet-passphrase-file', fleetPass],
    );
    expect(published.lines.at(-1), published.stderr).toMatchObject({ status: 'published', credentials: 10 });
    const again = await runEnroller(
      b,
      ...['fleet', 'publish-bundle', path.join(secrets, 'bundle.json'), '--fleet-passphrase-file', fleetPass],
    );
    expect(again.lines.at(-1)).toMatchObject({ code: 'BUNDLE_INVALID' });
    // Not in clear anywhere in the fleet database's tables.
    const dump = server.psql("SELECT string_agg(encode(sealed, 'escape'), '') FROM fleet.credentials");
    expect(dump).not.toContain('otp-code');
    expect(server.psql("SELECT string_agg(sealed_key, '') FROM fleet.bundles")).not.toContain('otp-');

    const wrong = await lease(a, 4, file('wrong.pass', 'not the fleet passphrase'));
    expect(wrong.lines.at(-1)).toMatchObject({ code: 'FLEET_PASSPHRASE_WRONG' });
    expect(server.psql('SELECT count(*) FROM fleet.credentials WHERE leased_to IS NOT NULL').trim()).toBe('0');

    expect((await lease(a, 4)).lines.at(-1)).toMatchObject({ status: 'leased', leased: 4, left: 6 });
    expect((await lease(b, 4)).lines.at(-1)).toMatchObject({ status: 'leased', leased: 4, left: 2 });
    const [onA, onB] = [await localCodes(a), await localCodes(b)];
    expect(onA).toHaveLength(4);
    expect(onB).toHaveLength(4);
    expect(onA.filter((c) => onB.includes(c))).toEqual([]);
  }, 90_000);

  it('spends each leased code once, fleet-wide, on modems provisioned at both stations', async () => {
    sims.push(...(await ptyModems(6, { baudRate: 115200, keygenDelayMs: 50 })));
    const provision = (dir: string, modems: PtySimulator[]) =>
      runEnroller(
        dir,
        'provision',
        ...modems.flatMap((s) => ['--port', s.hostPath]),
        ...['--device-type', 'nrf91-default', '--profile', 'factory-est', '--passphrase-file', pass],
      );
    const [runA, runB] = await Promise.all([provision(a, sims.slice(0, 3)), provision(b, sims.slice(3, 6))]);
    expect(
      runA.lines.map((l) => l.status),
      JSON.stringify(runA.lines),
    ).toEqual(['verified', 'verified', 'verified']);
    expect(
      runB.lines.map((l) => l.status),
      JSON.stringify(runB.lines),
    ).toEqual(['verified', 'verified', 'verified']);
    expect(est.oneTimeUsed).toHaveLength(6);
    expect(new Set(est.oneTimeUsed).size).toBe(6);
    expect(est.refusals).toEqual([]);
  }, 120_000);

  it('imports a lease whose import was lost, and never takes what another station leased', async () => {
    // A lease committed in the fleet whose import into the station was lost (a crash in between).
    const lost = server.psql(
      "UPDATE fleet.credentials SET leased_to = 'pool-b', leased_at = now() WHERE credential_id = " +
        '(SELECT min(credential_id) FROM fleet.credentials WHERE leased_to IS NULL) RETURNING credential_id',
    );
    const next = await lease(b, 5);
    expect(next.lines.at(-1)).toMatchObject({ status: 'leased', recovered: 1, leased: 1, left: 0 });
    expect(await localCodes(b)).toContain(lost.trim());
    expect(await localCodes(b)).toHaveLength(6);

    const client = await fleet.connectAs('pool-b');
    try {
      const stolen = await client.query("UPDATE fleet.credentials SET leased_to = 'pool-b' WHERE leased_to = 'pool-a'");
      expect(stolen.rowCount).toBe(0);
      await expect(client.query('UPDATE fleet.credentials SET leased_to = NULL')).resolves.toMatchObject({
        rowCount: 0,
      });
      await expect(client.query('DELETE FROM fleet.credentials')).rejects.toMatchObject({ code: '42501' });
    } finally {
      await client.end();
    }
    expect(server.psql("SELECT count(*) FROM fleet.credentials WHERE leased_to = 'pool-a'").trim()).toBe('4');
  }, 60_000);

  it('publishes a device type and a profile with its password; the other station pulls and uses them', async () => {
    const type = { ...nrf91Type('fleet-nrf91'), profile: 'shared-est' };
    expect((await runEnroller(a, 'device-type', 'import', file('type.json', JSON.stringify(type)))).code).toBe(0);
    const profile = await runEnroller(
      a,
      ...['profile', 'add', 'shared-est', '--est', est.url, '--user', 'line-9'],
      ...['--password-file', file('est.password', 'shared line password'), '--trust', path.join(secrets, 'trust.pem')],
      ...['--passphrase-file', pass],
    );
    expect(profile.code, profile.stderr).toBe(0);
    const published = await runEnroller(
      a,
      ...['fleet', 'publish', '--device-type', 'fleet-nrf91', '--profile', 'shared-est'],
      ...['--passphrase-file', pass, '--fleet-passphrase-file', fleetPass],
    );
    expect(published.lines.at(-1), published.stderr).toMatchObject({
      status: 'published',
      deviceTypes: ['fleet-nrf91'],
      profiles: ['shared-est'],
    });
    expect(server.psql('SELECT sealed_secrets FROM fleet.profiles')).not.toContain('shared line password');

    const withoutSecrets = await runEnroller(b, 'fleet', 'pull');
    expect(withoutSecrets.lines.at(-1)).toMatchObject({ deviceTypes: ['fleet-nrf91'], skipped: ['shared-est'] });
    const wrong = await runEnroller(
      b,
      ...['fleet', 'pull', '--passphrase-file', pass, '--fleet-passphrase-file', path.join(secrets, 'wrong.pass')],
    );
    expect(wrong.lines.at(-1)).toMatchObject({ code: 'FLEET_PASSPHRASE_WRONG' });
    const pulled = await runEnroller(
      b,
      ...['fleet', 'pull', '--passphrase-file', pass, '--fleet-passphrase-file', fleetPass],
    );
    expect(pulled.lines.at(-1)).toMatchObject({ status: 'pulled', profiles: ['shared-est'], skipped: [] });

    const modem = (await ptyModems(1, { baudRate: 115200, keygenDelayMs: 50 }))[0]!;
    sims.push(modem);
    const run = await runEnroller(
      b,
      ...['provision', '--port', modem.hostPath, '--device-type', 'fleet-nrf91', '--passphrase-file', pass],
    );
    expect(
      run.lines.map((l) => l.status),
      JSON.stringify(run.lines),
    ).toEqual(['verified']);
  }, 90_000);
});
