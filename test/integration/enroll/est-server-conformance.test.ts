// The EST test server checked by an independent client: strongSwan's `pki --estca` / `--est`.
// strongSwan 5.9.8 reads only single-line base64 and sends one line with no final newline, which
// the strictest real servers refuse: this instance does not wrap and accepts such a body, and a
// strict instance is shown refusing it.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { x509 } from '../../../main/pki/crypto';
import { makeCsr } from '../../helpers/csr';
import { tempDir } from '../../helpers/station';
import { startEstServer, type EstServer } from '../../support/est-server';

const run = promisify(execFile);
let server: EstServer;
const dir = tempDir('enroller-strongswan-');

/** strongSwan's EST enrollment, as its manual writes it (the password is a throwaway test credential). */
const pkiEst = (url: string, csr: string, cacert: string, userpass: string) =>
  run('pki', ['--est', '--url', url, '--in', csr, '--cacert', cacert, '--userpass', userpass, '--outform', 'pem']);
beforeAll(async () => {
  server = await startEstServer({ user: 'ss', password: 'ss-pass', wrapping: 'none', acceptUnwrappedBody: true });
  fs.writeFileSync(path.join(dir, 'tls-ca.pem'), server.tlsCaPem);
});
afterAll(() => server.close());

describe('EST test server, as strongSwan pki sees it', () => {
  it('pki --estca fetches the CA certificate', async () => {
    const out = path.join(dir, 'ca.pem');
    await run('pki', [
      '--estca',
      '--url',
      server.url,
      '--cacert',
      path.join(dir, 'tls-ca.pem'),
      '--caout',
      out,
      '--outform',
      'pem',
      '--force',
    ]);
    const written = fs.readdirSync(dir).filter((f) => f.startsWith('ca'));
    const pem = fs.readFileSync(
      path.join(
        dir,
        written.find((f) => f.endsWith('.pem') && f !== 'tls-ca.pem')!,
      ),
      'utf8',
    );
    expect(new x509.X509Certificate(pem).subject).toBe(server.issuingCa.certificate.subject);
  });

  it('pki --est enrolls a CSR with a password and gets a certificate for its key', async () => {
    const csr = await makeCsr({ name: 'CN=strongswan-device' });
    fs.writeFileSync(path.join(dir, 'dev.csr'), Buffer.from(csr));
    // The password is a throwaway test credential; production code never puts one in argv.
    const { stdout } = await pkiEst(server.url, path.join(dir, 'dev.csr'), path.join(dir, 'tls-ca.pem'), 'ss:ss-pass');
    const cert = new x509.X509Certificate(stdout);
    expect(cert.subject).toBe('CN=strongswan-device');
    expect(
      Buffer.from(cert.publicKey.rawData).equals(Buffer.from(new x509.Pkcs10CertificateRequest(csr).publicKey.rawData)),
    ).toBe(true);
    expect(server.requests.at(-1)).toMatchObject({ path: '/.well-known/est/simpleenroll', authorized: 'basic' });
  });

  it('a strict server refuses the body pki --est sends (one line of base64, no final newline)', async () => {
    const strict = await startEstServer({ user: 'ss', password: 'ss-pass', wrapping: 'none' });
    try {
      fs.writeFileSync(path.join(dir, 'tls-ca-strict.pem'), strict.tlsCaPem);
      fs.writeFileSync(path.join(dir, 'dev3.csr'), Buffer.from(await makeCsr()));
      await expect(
        pkiEst(strict.url, path.join(dir, 'dev3.csr'), path.join(dir, 'tls-ca-strict.pem'), 'ss:ss-pass'),
      ).rejects.toBeTruthy();
      expect(strict.refusals).toEqual([
        {
          path: '/.well-known/est/simpleenroll',
          status: 400,
          reason: 'the body is one line of base64 without a final newline',
        },
      ]);
      expect(strict.issuedCount).toBe(0);
    } finally {
      await strict.close();
    }
  });

  it('pki --est is refused with a wrong password', async () => {
    fs.writeFileSync(path.join(dir, 'dev2.csr'), Buffer.from(await makeCsr()));
    await expect(
      pkiEst(server.url, path.join(dir, 'dev2.csr'), path.join(dir, 'tls-ca.pem'), 'ss:nope'),
    ).rejects.toBeTruthy();
  });
});
