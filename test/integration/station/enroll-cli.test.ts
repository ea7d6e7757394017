// `enroller enroll`: CSR files (DER and PEM) in, certificates out, each bad file reported on its
// own with a code while the rest go on; a rerun re-exports instead of issuing again.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { x509 } from '../../../main/pki/crypto';
import { runEnroller } from '../../helpers/cli';
import { makeCsr } from '../../helpers/csr';
import { openssl, opensslCsr } from '../../helpers/openssl';
import { openTestStation, tempDir } from '../../helpers/station';

const pem = (der: Uint8Array) =>
  `-----BEGIN CERTIFICATE REQUEST-----\n${Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n')}\n-----END ` +
  `CERTIFICATE REQUEST-----\n`;

describe('enroller enroll', () => {
  it('turns a folder of CSR files into certificates; bad files get codes; a rerun issues nothing new', async () => {
    const dir = tempDir();
    const csrDir = path.join(tempDir(), 'csrs');
    const outDir = path.join(tempDir(), 'certs');
    fs.mkdirSync(csrDir);
    const pass = path.join(tempDir(), 'pass');
    fs.writeFileSync(pass, 'enroll passphrase');
    expect((await runEnroller(dir, 'ca', 'init', '--passphrase-file', pass)).code).toBe(0);
    for (let i = 1; i <= 20; i++) {
      const der = await makeCsr({ name: `CN=dev-${i}` });
      if (i % 2) fs.writeFileSync(path.join(csrDir, `dev-${i}.der`), der);
      else fs.writeFileSync(path.join(csrDir, `dev-${i}.pem`), pem(der));
    }
    const good = await makeCsr({ name: 'CN=broken-sig' });
    const flipped = Uint8Array.from(good);
    flipped[flipped.length - 5]! ^= 0xff;
    fs.writeFileSync(path.join(csrDir, 'x-bad-signature.der'), flipped);
    fs.writeFileSync(path.join(csrDir, 'x-truncated.der'), good.slice(0, 60));
    fs.writeFileSync(path.join(csrDir, 'x-not-a-csr.pem'), 'hello, this is not a request\n');
    // csr-file-default takes P-256/P-384 and RSA 2048–4096 (#14); P-521 is no device key it accepts.
    fs.writeFileSync(
      path.join(csrDir, 'x-p521-not-allowed.der'),
      await opensslCsr({ key: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-521'], subject: '/CN=p521' }),
    );
    fs.writeFileSync(path.join(csrDir, 'x-no-cn.der'), await makeCsr({ name: 'O=Nobody' }));

    const first = await runEnroller(
      dir,
      'enroll',
      '--csr',
      csrDir,
      '--profile',
      'local',
      '--out-dir',
      outDir,
      '--passphrase-file',
      pass,
    );
    expect(first.code).toBe(1);
    expect(first.lines).toHaveLength(25);
    const failed = Object.fromEntries(
      first.lines.filter((l) => l.status === 'failed').map((l) => [path.basename(String(l.csr)), l.code]),
    );
    expect(failed).toEqual({
      'x-bad-signature.der': 'CSR_BAD_SIGNATURE',
      'x-truncated.der': 'CSR_MALFORMED',
      'x-not-a-csr.pem': 'CSR_MALFORMED',
      'x-p521-not-allowed.der': 'CSR_KEY_CURVE_NOT_ALLOWED',
      'x-no-cn.der': 'CSR_SUBJECT_INVALID',
    });
    const issued = first.lines.filter((l) => l.status === 'issued');
    expect(issued).toHaveLength(20);

    await runEnroller(dir, 'ca', 'export', '--out', path.join(dir, 'chain.pem'));
    const [issuing, root] = fs
      .readFileSync(path.join(dir, 'chain.pem'), 'utf8')
      .match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)!;
    fs.writeFileSync(path.join(dir, 'root.pem'), root!);
    fs.writeFileSync(path.join(dir, 'issuing.pem'), issuing!);
    for (const line of issued) {
      const certFile = String(line.certFile);
      expect(path.basename(certFile)).toBe(`${line.deviceId}.pem`);
      expect(
        (
          await openssl([
            'verify',
            '-CAfile',
            path.join(dir, 'root.pem'),
            '-untrusted',
            path.join(dir, 'issuing.pem'),
            certFile,
          ])
        ).stdout,
      ).toContain('OK');
      const der = new x509.X509Certificate(new Uint8Array(fs.readFileSync(certFile.replace(/\.pem$/, '.der'))));
      expect(der.subject).toBe(`CN=${line.deviceId}`);
    }

    const again = await runEnroller(
      dir,
      'enroll',
      '--csr',
      csrDir,
      '--profile',
      'local',
      '--out-dir',
      outDir,
      '--passphrase-file',
      pass,
    );
    const serials = (lines: typeof first.lines) =>
      Object.fromEntries(lines.filter((l) => l.status === 'issued').map((l) => [l.deviceId, l.certSerial]));
    expect(serials(again.lines)).toEqual(serials(first.lines));
    const station = openTestStation(dir);
    try {
      expect(
        station.db
          .prepare("SELECT count(*) AS n FROM certificates WHERE status = 'issued' AND kind != 'verification'")
          .get(),
      ).toEqual({ n: 20 });
    } finally {
      station.close();
    }
  });
});
