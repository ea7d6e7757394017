// Offline work: the service is down, nothing is lost, and one sync settles it — once.
//  1. CSR files against the real SCEP server that is not running yet: each CSR `pending` (queued),
//     then the server starts, `queue sync` writes every certificate into the out dir the enroll
//     command named, and a second sync does nothing.
//  2. A batch of nRF91s with the EST service down: `hold` devices wait, `birth` devices get a
//     factory certificate from the local CA now; the service returns; `queue sync` gets each
//     operational certificate once; the next provision writes them.
//  3. A service that answers 503 once or twice is asked again, not taken for an outage.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { PtySimulator } from '../../../main/devices/nrf91-sim/pty-host';
import { x509 } from '../../../main/pki/crypto';
import { runEnroller } from '../../helpers/cli';
import { makeCsr, RSA2048 } from '../../helpers/csr';
import { openssl } from '../../helpers/openssl';
import { ptyModems } from '../../helpers/pty';
import { addEstProfile, nrf91Type } from '../../helpers/setups';
import { tempDir } from '../../helpers/station';
import { startEstServer } from '../../support/est-server';
import { freePort, startScepServer } from '../../support/scep-server';

const TAG = 16842753;
const cleanup: Array<() => Promise<void>> = [];
afterAll(async () => {
  await Promise.all(cleanup.map((c) => c()));
});

function file(name: string, text: string): string {
  const f = path.join(tempDir(), name);
  fs.writeFileSync(f, text);
  return f;
}

const leafIn = (sim: PtySimulator) =>
  new x509.X509Certificate(
    sim.simulator.store.get(TAG, 1)!.content.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)![0],
  );

/** The CA certificate written after the leaf in the client certificate slot. */
const caAfterLeafIn = (sim: PtySimulator) =>
  new x509.X509Certificate(
    sim.simulator.store
      .get(TAG, 1)!
      .content.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)![1]!,
  );

/** A station whose profile `factory-est` enrolls over EST, with a `hold` and a `birth` nRF91 type for outages. */
async function estStation() {
  const est = await startEstServer({ user: 'station-9', password: 'est-secret' });
  cleanup.push(() => est.close());
  const dir = tempDir();
  const pass = file('pass', 'queue passphrase');
  await runEnroller(dir, 'ca', 'init', '--passphrase-file', pass);
  await addEstProfile(dir, 'factory-est', est, { user: 'station-9', password: 'est-secret', passFile: pass });
  const holdType = nrf91Type('nrf91-hold', {
    description: 'nRF91, wait for the service',
    certificate: { kind: 'operational', validityDays: 3650 },
    profile: 'factory-est',
    offline: { policy: 'hold' },
  });
  const birthType = {
    ...holdType,
    name: 'nrf91-birth',
    description: 'nRF91, birth certificate when offline',
    offline: { policy: 'birth', birthMaxValidityDays: 7 },
  };
  await runEnroller(dir, 'device-type', 'import', file('hold.json', JSON.stringify(holdType)));
  await runEnroller(dir, 'device-type', 'import', file('birth.json', JSON.stringify(birthType)));
  return { est, dir, pass };
}

describe('the offline queue', () => {
  it('CSR files: pending while SCEP is down, written to the out dir by one sync, nothing on the second', async () => {
    const dir = tempDir();
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/scep`;
    const pass = file('pass', 'queue passphrase');
    await runEnroller(dir, 'ca', 'init', '--passphrase-file', pass);
    expect((await runEnroller(dir, 'profile', 'add', 'factory-scep', '--scep', url)).code).toBe(0);
    const type = {
      name: 'rsa-files',
      description: 'RSA CSR files',
      device: 'csr-file',
      idTemplate: 'file-{serial}',
      subject: [{ attribute: 'CN', required: true }],
      keyPolicy: { allowed: ['rsa-2048'] },
      certificate: { kind: 'operational', validityDays: 365 },
      profile: 'factory-scep',
    };
    expect((await runEnroller(dir, 'device-type', 'import', file('type.json', JSON.stringify(type)))).code).toBe(0);
    const csrDir = path.join(tempDir(), 'csrs');
    fs.mkdirSync(csrDir);
    for (let i = 1; i <= 4; i++)
      fs.writeFileSync(
        path.join(csrDir, `file-${i}.der`),
        await makeCsr({
          alg: RSA2048,
          name: `CN=file-${i}`,
          attributes: [new x509.ChallengePasswordAttribute('s3cret')],
        }),
      );
    const outDir = path.join(tempDir(), 'certs');

    const offline = await runEnroller(
      dir,
      'enroll',
      '--csr',
      csrDir,
      '--profile',
      'factory-scep',
      '--device-type',
      'rsa-files',
      '--out-dir',
      outDir,
    );
    expect(offline.code).toBe(1);
    expect(offline.lines.map((l) => [l.status, l.code])).toEqual(Array(4).fill(['pending', 'ENROLL_QUEUED']));
    expect((await runEnroller(dir, 'queue', 'list')).lines.map((l) => l.status)).toEqual([
      'queued',
      'queued',
      'queued',
      'queued',
    ]);
    // Still down: a sync leaves everything queued, with the reason and a backoff.
    const stillDown = await runEnroller(dir, 'queue', 'sync');
    expect(stillDown.lines.map((l) => [l.status, l.code])).toEqual(Array(4).fill(['pending', 'ENROLL_UNREACHABLE']));

    const scep = await startScepServer({ challenge: 's3cret', port });
    cleanup.push(() => scep.stop());
    const synced = await runEnroller(dir, 'queue', 'sync');
    expect(synced.code, JSON.stringify(synced.lines)).toBe(0);
    expect(synced.lines.map((l) => l.status)).toEqual(['issued', 'issued', 'issued', 'issued']);
    fs.writeFileSync(path.join(dir, 'scep-ca.pem'), scep.caPem);
    for (let i = 1; i <= 4; i++) {
      const certFile = path.join(outDir, `file-${i}.pem`);
      expect(synced.lines.find((l) => l.deviceId === `file-${i}`)?.certFile).toBe(certFile);
      expect((await openssl(['verify', '-CAfile', path.join(dir, 'scep-ca.pem'), certFile])).stdout).toContain('OK');
    }
    const again = await runEnroller(dir, 'queue', 'sync');
    expect(again).toMatchObject({ code: 0, lines: [{ status: 'empty' }] });
    expect((await runEnroller(dir, 'queue', 'list')).lines.map((l) => l.status)).toEqual([
      'delivered',
      'delivered',
      'delivered',
      'delivered',
    ]);
    // The enroll command run again re-exports what it has; it does not ask the service again.
    const rerun = await runEnroller(
      dir,
      'enroll',
      '--csr',
      csrDir,
      '--profile',
      'factory-scep',
      '--device-type',
      'rsa-files',
      '--out-dir',
      outDir,
    );
    expect(rerun.lines.map((l) => l.status)).toEqual(['issued', 'issued', 'issued', 'issued']);
    expect(rerun.lines.map((l) => l.certSerial).sort()).toEqual(synced.lines.map((l) => l.certSerial).sort());
  });

  it(
    'devices: birth certificates or waiting while EST is down; one sync; the next provision writes the operational ' +
      'certificates',
    async () => {
      const { est, dir, pass } = await estStation();
      const sims = await ptyModems(5, { baudRate: 115200, keygenDelayMs: 100 });
      cleanup.push(async () => void (await Promise.all(sims.map((s) => s.close()))));
      const [warm, hold1, hold2, birth1, birth2] = sims as [
        PtySimulator,
        PtySimulator,
        PtySimulator,
        PtySimulator,
        PtySimulator,
      ];
      const provision = (type: string, ...devices: PtySimulator[]) =>
        runEnroller(
          dir,
          'provision',
          ...devices.flatMap((s) => ['--port', s.hostPath]),
          '--device-type',
          type,
          '--passphrase-file',
          pass,
        );

      // Online once: the service's chain is fetched and kept for offline batches.
      const first = await provision('nrf91-hold', warm);
      expect(first.code, JSON.stringify(first.lines)).toBe(0);
      await est.goOffline();
      const held = await provision('nrf91-hold', hold1, hold2);
      expect(held.code).toBe(1);
      expect(held.lines.map((l) => l.status)).toEqual(['waiting', 'waiting']);
      const born = await provision('nrf91-birth', birth1, birth2);
      expect(born.code, JSON.stringify(born.lines)).toBe(0);
      expect(
        born.lines.map((l) => [l.status, l.code]),
        JSON.stringify(born.lines),
      ).toEqual([
        ['verified', 'ENROLL_QUEUED'],
        ['verified', 'ENROLL_QUEUED'],
      ]);
      const stationIssuer = (await runEnroller(dir, 'ca', 'status')).lines[0] as { issuing: { subject: string } };
      for (const sim of [birth1, birth2]) {
        const birth = leafIn(sim);
        expect(birth.issuer).toBe(stationIssuer.issuing.subject);
        // Written with the station CA that signed it, not the service's issuing CA (the chain must build).
        expect(caAfterLeafIn(sim).subject).toBe(stationIssuer.issuing.subject);
        expect(await birth.verify({ publicKey: caAfterLeafIn(sim).publicKey, signatureOnly: true })).toBe(true);
        // notBefore is backdated a few minutes for clock skew
        expect(birth.notAfter.getTime() - birth.notBefore.getTime()).toBeLessThanOrEqual(7 * 86_400_000 + 10 * 60_000);
      }
      for (const sim of [hold1, hold2]) expect(sim.simulator.store.get(TAG, 1)).toBeUndefined();
      expect((await runEnroller(dir, 'queue', 'list')).lines.map((l) => l.status)).toEqual([
        'queued',
        'queued',
        'queued',
        'queued',
      ]);

      await est.comeBack();
      const before = est.issuedCount;
      const synced = await runEnroller(dir, 'queue', 'sync', '--passphrase-file', pass);
      expect(synced.lines.map((l) => l.status)).toEqual(['issued', 'issued', 'issued', 'issued']);
      expect(est.issuedCount - before).toBe(4);
      expect((await runEnroller(dir, 'queue', 'sync', '--passphrase-file', pass)).lines).toEqual([
        { status: 'empty', synced: 0 },
      ]);
      expect(est.issuedCount - before).toBe(4);

      // Plugged in again: each device receives the certificate the queue obtained, and is verified.
      const delivered = await Promise.all([
        provision('nrf91-hold', hold1, hold2),
        provision('nrf91-birth', birth1, birth2),
      ]);
      for (const run of delivered)
        expect(
          run.lines.map((l) => l.status),
          JSON.stringify(run.lines),
        ).toEqual(['verified', 'verified']);
      for (const sim of [hold1, hold2, birth1, birth2]) {
        const leaf = leafIn(sim);
        expect(leaf.issuer).toBe(est.issuingCa.certificate.subject);
        expect(synced.lines.map((l) => l.certSerial)).toContain(leaf.serialNumber);
      }
      expect((await runEnroller(dir, 'queue', 'list')).lines.map((l) => l.status)).toEqual([
        'delivered',
        'delivered',
        'delivered',
        'delivered',
      ]);
      expect(est.issuedCount - before).toBe(4);
    },
  );

  it('a busy service (503) is asked again before a device goes offline; three 503s running are an outage', async () => {
    const { est, dir, pass } = await estStation();
    const sims = await ptyModems(2, { baudRate: 115200, keygenDelayMs: 100 });
    cleanup.push(async () => void (await Promise.all(sims.map((s) => s.close()))));
    const [busyTwice, busyThrice] = sims as [PtySimulator, PtySimulator];
    const provision = (sim: PtySimulator) =>
      runEnroller(dir, 'provision', '--port', sim.hostPath, '--device-type', 'nrf91-birth', '--passphrase-file', pass);

    est.busyTimes = 2;
    const asked = await provision(busyTwice);
    expect(
      asked.lines.map((l) => [l.status, l.code ?? null]),
      JSON.stringify(asked.lines),
    ).toEqual([['verified', null]]);
    expect(leafIn(busyTwice).issuer).toBe(est.issuingCa.certificate.subject);
    expect(est.busyTimes).toBe(0);
    const db = new Database(path.join(dir, 'station.sqlite'), { readonly: true });
    cleanup.push(async () => void db.close());
    const retried = db
      .prepare("SELECT details FROM audit_log WHERE action = 'enroll.retried' AND subject = ? ORDER BY seq")
      .all(asked.lines[0]!.deviceId) as Array<{ details: string }>;
    expect(retried.map((r) => JSON.parse(r.details) as Record<string, unknown>)).toEqual([
      expect.objectContaining({ attempt: 1, code: 'ENROLL_SERVER_ERROR', profile: 'factory-est' }),
      expect.objectContaining({ attempt: 2, code: 'ENROLL_SERVER_ERROR', profile: 'factory-est' }),
    ]);
    expect((await runEnroller(dir, 'queue', 'list')).lines).toEqual([]);

    // Three 503s in a row: not a hiccup. The device gets its birth certificate and the CSR waits in the queue.
    est.busyTimes = 3;
    const outage = await provision(busyThrice);
    expect(
      outage.lines.map((l) => [l.status, l.code]),
      JSON.stringify(outage.lines),
    ).toEqual([['verified', 'ENROLL_QUEUED']]);
    expect(leafIn(busyThrice).issuer).not.toBe(est.issuingCa.certificate.subject);
    expect(est.busyTimes).toBe(0);
    expect((await runEnroller(dir, 'queue', 'list')).lines).toEqual([
      expect.objectContaining({ status: 'queued', deviceId: outage.lines[0]!.deviceId }),
    ]);
  });
});
