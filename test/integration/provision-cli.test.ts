// `enroller provision` end to end on simulated modems behind real PTYs, with the local CA:
// every device verified, certificates chain to the exported CA (openssl verify), the client
// certificate the modem holds carries the key it generated, and a rerun does not enroll again.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { x509 } from '../../main/pki/crypto';
import type { PtySimulator } from '../../main/devices/nrf91-sim/pty-host';
import { enrollerBin, runEnroller } from '../helpers/cli';
import { openssl } from '../helpers/openssl';
import { ptyModems } from '../helpers/pty';
import { tempDir } from '../helpers/station';

const sims: PtySimulator[] = [];
afterAll(async () => {
  await Promise.all(sims.map((s) => s.close()));
});

const enroller = runEnroller;
const run = promisify(execFile);

describe('enroller provision', () => {
  it('provisions 8 modems in parallel with the local CA, and recognises them on a rerun', async () => {
    const dir = tempDir();
    const pass = path.join(dir, 'pass');
    fs.writeFileSync(pass, 'provision passphrase');
    expect((await enroller(dir, 'ca', 'init', '--passphrase-file', pass)).code).toBe(0);
    sims.push(...(await ptyModems(8, { baudRate: 115200, keygenDelayMs: 100 })));
    const ports = sims.flatMap((s) => ['--port', s.hostPath]);
    const first = await enroller(
      dir,
      'provision',
      ...ports,
      '--device-type',
      'nrf91-default',
      '--passphrase-file',
      pass,
    );
    expect(first.lines.filter((l) => l.status !== 'verified')).toEqual([]);
    expect(first.code).toBe(0);
    expect(first.lines.map((l) => l.status)).toEqual(Array(8).fill('verified'));
    const byPort = (lines: typeof first.lines, port: string) => lines.find((l) => l.port === port)!;
    await enroller(dir, 'ca', 'export', '--out', path.join(dir, 'chain.pem'));
    const chain = fs
      .readFileSync(path.join(dir, 'chain.pem'), 'utf8')
      .match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)!;
    fs.writeFileSync(path.join(dir, 'root.pem'), chain[1]!);
    fs.writeFileSync(path.join(dir, 'issuing.pem'), chain[0]!);
    for (const [i, sim] of sims.entries()) {
      const line = byPort(first.lines, sim.hostPath);
      expect(line).toMatchObject({ port: sim.hostPath, deviceId: `nrf-${sim.simulator.imei}` });
      const stored = sim.simulator.store.get(16842753, 1)!.content;
      const leaf = new x509.X509Certificate(
        stored.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)![0],
      );
      expect(leaf.serialNumber).toBe(line.certSerial);
      // The certificate in the modem carries the key the modem generated.
      expect(sim.simulator.store.get(16842753, 2)!.content).toContain(
        Buffer.from(leaf.publicKey.rawData).toString('base64'),
      );
      fs.writeFileSync(path.join(dir, `leaf${i}.pem`), leaf.toString('pem'));
      expect(
        (
          await openssl([
            'verify',
            '-CAfile',
            path.join(dir, 'root.pem'),
            '-untrusted',
            path.join(dir, 'issuing.pem'),
            path.join(dir, `leaf${i}.pem`),
          ])
        ).stdout,
      ).toContain('OK');
    }
    // The finished batch, exported for the clouds and the PKI team.
    const batchId = String(first.lines[0]!.batchId);
    expect(first.lines.every((l) => l.batchId === batchId)).toBe(true);
    const exported = async (format: string) => {
      const file = path.join(dir, `export.${format}`);
      expect(
        (await enroller(dir, 'export', '--format', format, '--batch', batchId, '--out', file, '--tag', 'line-3'))
          .lines[0],
      ).toMatchObject({ status: 'exported', devices: 8 });
      return fs.readFileSync(file, 'utf8');
    };
    const nrf = await exported('nrfcloud');
    const rows = nrf.split(/\r\n(?=nrf-)|\r\n$/).filter(Boolean);
    expect(rows).toHaveLength(8);
    for (const row of rows) {
      const [id, , tags, fw, pem] = row.match(/^(nrf-\d{15}),([^,]*),([^,]*),([^,]*),"([\s\S]+)"$/)!.slice(1);
      expect([tags, fw]).toEqual(['line-3', 'APP|MODEM']);
      expect(new x509.X509Certificate(pem!).subject).toBe(`CN=${id}`);
    }
    const dps = JSON.parse(await exported('azure-dps')) as Array<{
      registrationId: string;
      attestation: { x509: { clientCertificates: { primary: { certificate: string } } } };
    }>;
    expect(
      dps.map(
        (e) =>
          new x509.X509Certificate(Buffer.from(e.attestation.x509.clientCertificates.primary.certificate, 'base64'))
            .subject,
      ),
    ).toEqual(dps.map((e) => `CN=${e.registrationId}`));
    const aws = (await exported('aws'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { ThingName: string; CertificatePem: string });
    expect(aws.map((a) => a.ThingName).sort()).toEqual(first.lines.map((l) => l.deviceId).sort());
    const reports = (await exported('report'))
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as {
            readback: string;
            keyOrigin: { kind: string };
            certificate: { serial: string };
            secTagsWritten: Record<string, string>;
            operator: string;
          },
      );
    for (const r of reports) {
      expect(r).toMatchObject({ readback: 'verified', keyOrigin: { kind: 'nrf91-keygen-cose' }, operator: 'cli' });
      expect(Object.keys(r.secTagsWritten)).toEqual(['16842753/1', '16842753/0']);
    }
    expect(reports.map((r) => r.certificate.serial).sort()).toEqual(first.lines.map((l) => l.certSerial).sort());

    const again = await enroller(
      dir,
      'provision',
      ...ports,
      '--device-type',
      'nrf91-default',
      '--passphrase-file',
      pass,
    );
    expect(again.code).toBe(0);
    for (const sim of sims) {
      expect(byPort(again.lines, sim.hostPath)).toMatchObject({
        status: 'verified',
        code: 'DEVICE_ALREADY_ENROLLED',
        certSerial: byPort(first.lines, sim.hostPath).certSerial,
      });
    }
  });

  it('unlocks the CA while devices make their keys; a wrong passphrase stops the batch, costs no device', async () => {
    const dir = tempDir();
    const pass = path.join(dir, 'pass');
    const wrong = path.join(dir, 'wrong');
    fs.writeFileSync(pass, 'provision passphrase');
    fs.writeFileSync(wrong, 'not the passphrase');
    expect((await enroller(dir, 'ca', 'init', '--passphrase-file', pass)).code).toBe(0);
    const modems = await ptyModems(3, { baudRate: 115200, keygenDelayMs: 300 });
    sims.push(...modems);
    const ports = modems.flatMap((s) => ['--port', s.hostPath]);
    const args = ['provision', ...ports, '--device-type', 'nrf91-default', '--passphrase-file'];
    const refused = await enroller(dir, ...args, wrong);
    expect(refused.code).toBe(1);
    expect(refused.lines.filter((l) => l.status === 'verified')).toEqual([]);
    expect(refused.lines.at(-1)).toMatchObject({ status: 'failed', code: 'CA_WRONG_PASSPHRASE' });
    const done = await enroller(dir, ...args, pass);
    expect(done.code, done.stderr).toBe(0);
    expect(done.lines.map((l) => l.status)).toEqual(['verified', 'verified', 'verified']);
  });

  it('with the local CA, loads none of HTTP, TLS or DNS: those are for services (#18)', async () => {
    const dir = tempDir();
    const pass = path.join(dir, 'pass');
    fs.writeFileSync(pass, 'provision passphrase');
    expect((await enroller(dir, 'ca', 'init', '--passphrase-file', pass)).code).toBe(0);
    const [modem] = await ptyModems(1, { baudRate: 115200, keygenDelayMs: 50 });
    sims.push(modem!);
    const loaded = path.join(dir, 'modules.txt');
    const preload = path.join(dir, 'list-modules.cjs');
    const list = `require('node:fs').writeFileSync(${JSON.stringify(loaded)}, process.moduleLoadList.join('\\n'))`;
    fs.writeFileSync(preload, `process.on('exit', () => ${list});`);
    const args = [
      '--data-dir',
      dir,
      '--json',
      'provision',
      '--port',
      modem!.hostPath,
      '--device-type',
      'nrf91-default',
    ];
    const { stdout } = await run(process.execPath, ['-r', preload, enrollerBin, ...args, '--passphrase-file', pass]);
    expect(stdout).toContain('"status":"verified"');
    const modules = fs.readFileSync(loaded, 'utf8').split('\n');
    expect(modules).toContain('NativeModule crypto');
    expect(modules.filter((m) => /^NativeModule (https?|tls|dns\/promises)$/.test(m))).toEqual([]);
  });
});
