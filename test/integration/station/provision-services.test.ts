// `enroller provision` with remote profiles: the EST test server (TLS, HTTP Basic, 202 pending)
// and the real Debian SCEP server. Modems are simulated behind real PTYs; the CLI is a child.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { PtySimulator } from '../../../main/devices/nrf91-sim/pty-host';
import { x509 } from '../../../main/pki/crypto';
import { runEnroller } from '../../helpers/cli';
import { openssl } from '../../helpers/openssl';
import { ptyModems } from '../../helpers/pty';
import { openTestStation, tempDir } from '../../helpers/station';
import { startEstServer } from '../../support/est-server';
import { startScepServer } from '../../support/scep-server';

const TAG = 16842753;
const sims: PtySimulator[] = [];
const closers: Array<() => Promise<void>> = [];
afterAll(async () => {
  await Promise.all([...sims.map((s) => s.close()), ...closers.map((c) => c())]);
});

function secrets(entries: Record<string, string>): Record<string, string> {
  const dir = tempDir();
  return Object.fromEntries(
    Object.entries(entries).map(([name, text]) => [
      name,
      (fs.writeFileSync(path.join(dir, name), text), path.join(dir, name)),
    ]),
  );
}

describe('provision with a remote enrollment service', () => {
  it('EST: every modem verified with a certificate from EST; a 202 waits and resumes with the same CSR', async () => {
    const est = await startEstServer({ user: 'station-7', password: 'est-pass' });
    closers.push(() => est.close());
    const dir = tempDir();
    const f = secrets({ pass: 'station passphrase', password: 'est-pass', trust: est.tlsCaPem });
    expect((await runEnroller(dir, 'ca', 'init', '--passphrase-file', f.pass!)).code).toBe(0);
    const added = await runEnroller(
      dir,
      'profile',
      'add',
      'factory-est',
      '--est',
      est.url,
      '--user',
      'station-7',
      '--password-file',
      f.password!,
      '--trust',
      f.trust!,
      '--passphrase-file',
      f.pass!,
    );
    expect(added.code).toBe(0);
    const modems = await ptyModems(4, { baudRate: 115200, keygenDelayMs: 100 });
    sims.push(...modems);
    const ports = modems.flatMap((s) => ['--port', s.hostPath]);

    est.pendingTimes = 1; // the service defers one request
    const first = await runEnroller(
      dir,
      'provision',
      ...ports,
      '--device-type',
      'nrf91-default',
      '--profile',
      'factory-est',
      '--passphrase-file',
      f.pass!,
    );
    expect(first.code).toBe(1);
    expect(first.lines.map((l) => l.status).sort()).toEqual(['verified', 'verified', 'verified', 'waiting']);
    const waiting = first.lines.find((l) => l.status === 'waiting')!;

    const second = await runEnroller(
      dir,
      'provision',
      ...ports,
      '--device-type',
      'nrf91-default',
      '--profile',
      'factory-est',
      '--passphrase-file',
      f.pass!,
    );
    expect(second.code).toBe(0);
    expect(second.lines.find((l) => l.port === waiting.port)).toMatchObject({
      status: 'verified',
      deviceId: waiting.deviceId,
    });
    expect(est.issuedCount).toBe(4); // three the first time, one after the 202; none twice
    expect(est.requests.filter((r) => r.path.endsWith('simpleenroll')).every((r) => r.authorized === 'basic')).toBe(
      true,
    );

    const issuingPem = est.issuingCa.certificate.toString('pem');
    fs.writeFileSync(path.join(dir, 'est-ca.pem'), issuingPem);
    for (const sim of modems) {
      const stored = sim.simulator.store.get(TAG, 1)!.content;
      const leaf = new x509.X509Certificate(
        stored.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)![0],
      );
      expect(leaf.issuer).toBe(est.issuingCa.certificate.subject);
      fs.writeFileSync(path.join(dir, 'leaf.pem'), leaf.toString('pem'));
      expect(
        (await openssl(['verify', '-CAfile', path.join(dir, 'est-ca.pem'), path.join(dir, 'leaf.pem')])).stdout,
      ).toContain('OK');
      // The trust anchor installed is the service's CA, not the station's own.
      expect(sim.simulator.store.get(TAG, 0)!.content.replace(/\s/g, '')).toContain(
        issuingPem.replace(/\s/g, '').replace(/-----(BEGIN|END)CERTIFICATE-----/g, ''),
      );
    }
    // The deferred device's CSR was generated once and carried over to its resumed job.
    const station = openTestStation(dir);
    try {
      const csrs = station.db
        .prepare<[string], { n: number }>(
          "SELECT count(*) AS n FROM audit_log WHERE action = 'csr.generated' AND subject = ?",
        )
        .get(String(waiting.deviceId))!;
      expect(csrs.n).toBe(1);
    } finally {
      station.close();
    }
  });

  // micromdm 2.1.0 cannot sign a certificate for an EC key (see test/integration/enroll/scep.test.ts),
  // and the nRF91 only makes P-256 keys: over this server the station's job is to carry the CSR
  // there, report the refusal with its code, keep the CSR, and write nothing to the device.
  it(
    'SCEP: the real server receives each modem CSR and refuses its EC key; each device fails with a code and keeps ' +
      'its CSR',
    async () => {
      const scep = await startScepServer({ verifier: 'approve' });
      closers.push(() => scep.stop());
      const dir = tempDir();
      const f = secrets({ pass: 'station passphrase' });
      await runEnroller(dir, 'ca', 'init', '--passphrase-file', f.pass!);
      const pin = crypto
        .createHash('sha256')
        .update(new Uint8Array(new x509.X509Certificate(scep.caPem).rawData))
        .digest('hex');
      expect(
        (await runEnroller(dir, 'profile', 'add', 'factory-scep', '--scep', scep.url, '--ca-fingerprint', pin)).code,
      ).toBe(0);
      const modems = await ptyModems(2, { baudRate: 115200, keygenDelayMs: 100 });
      sims.push(...modems);
      const run = await runEnroller(
        dir,
        'provision',
        ...modems.flatMap((s) => ['--port', s.hostPath]),
        '--device-type',
        'nrf91-default',
        '--profile',
        'factory-scep',
        '--passphrase-file',
        f.pass!,
      );
      expect(run.code).toBe(1);
      expect(
        run.lines.map((l) => l.code),
        JSON.stringify(run.lines),
      ).toEqual(['SCEP_FAILURE', 'SCEP_FAILURE']);
      for (const sim of modems) expect(sim.simulator.store.get(TAG, 1)).toBeUndefined();
      const station = openTestStation(dir);
      try {
        const jobs = station.db
          .prepare<[], { error_step: string; csr: number }>(
            "SELECT error_step, csr_der IS NOT NULL AS csr FROM jobs WHERE status = 'failed'",
          )
          .all();
        expect(jobs).toEqual([
          { error_step: 'enrolled', csr: 1 },
          { error_step: 'enrolled', csr: 1 },
        ]);
      } finally {
        station.close();
      }
      // A wrong CA pin stops the batch before any device is touched.
      await runEnroller(dir, 'profile', 'add', 'pinned-wrong', '--scep', scep.url, '--ca-fingerprint', 'ab'.repeat(32));
      const wrong = await runEnroller(
        dir,
        'provision',
        '--port',
        modems[0]!.hostPath,
        '--device-type',
        'nrf91-default',
        '--profile',
        'pinned-wrong',
        '--passphrase-file',
        f.pass!,
      );
      expect(wrong.lines[0]).toMatchObject({ status: 'failed', code: 'ENROLL_UNTRUSTED_ISSUER' });
    },
  );
});
