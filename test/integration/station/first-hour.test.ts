// Issue 14, "works the first time": what a customer's acceptance test meets in its first hour,
// each on the real parts — OpenSSL-made CSRs through the CLI, the Debian SCEP server, and two
// processes racing on one data folder.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { x509 } from '../../../main/pki/crypto';
import { runEnroller } from '../../helpers/cli';
import { openssl, opensslCsr } from '../../helpers/openssl';
import { openTestStation, tempDir } from '../../helpers/station';
import { startPtySimulator, type PtySimulator } from '../../../main/devices/nrf91-sim/pty-host';
import { startScepServer } from '../../support/scep-server';

const closers: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const close of closers) await close();
});

const RSA = (bits: number) => ['-algorithm', 'RSA', '-pkeyopt', `rsa_keygen_bits:${bits}`];
const EC = (curve: string) => ['-algorithm', 'EC', '-pkeyopt', `ec_paramgen_curve:${curve}`];

/** A data folder with an initialised CA; returns it and the passphrase file. */
async function station(): Promise<{ dir: string; pass: string }> {
  const dir = tempDir();
  const pass = path.join(tempDir(), 'pass');
  fs.writeFileSync(pass, 'first hour passphrase');
  expect((await runEnroller(dir, 'ca', 'init', '--passphrase-file', pass)).code).toBe(0);
  return { dir, pass };
}

/** `enroller enroll` with the station CA (`local`), as a line engineer runs it. */
function enrollLocal(s: { dir: string; pass: string }, csr: string, out: string, ...extra: string[]) {
  return runEnroller(
    s.dir,
    'enroll',
    '--csr',
    csr,
    '--profile',
    'local',
    '--out-dir',
    out,
    '--passphrase-file',
    s.pass,
    ...extra,
  );
}

function writeCsrs(folder: string, csrs: Record<string, Uint8Array>): string {
  fs.mkdirSync(folder, { recursive: true });
  for (const [name, der] of Object.entries(csrs)) fs.writeFileSync(path.join(folder, name), der);
  return folder;
}

const keyOf = (der: Uint8Array) =>
  Buffer.from(new x509.Pkcs10CertificateRequest(der.slice()).publicKey.rawData).toString('hex');
const certKeyOf = (file: string) =>
  Buffer.from(new x509.X509Certificate(fs.readFileSync(file, 'utf8')).publicKey.rawData).toString('hex');

function issuedCount(dir: string, deviceId: string): number {
  const s = openTestStation(dir);
  try {
    return (
      s.db
        .prepare("SELECT count(*) AS n FROM certificates WHERE device_id = ? AND kind != 'verification'")
        .get(deviceId) as { n: number }
    ).n;
  } finally {
    s.close();
  }
}

describe('enroll picks a device type made for CSR files', () => {
  it('issues OpenSSL RSA-2048/3072 and EC P-256/P-384 CSRs without --device-type, subject from the CSR', async () => {
    const { dir, pass } = await station();
    const csrDir = writeCsrs(path.join(tempDir(), 'in'), {
      'rsa2048.der': await opensslCsr({ key: RSA(2048), subject: '/C=DE/O=Floor/CN=tpm-rsa-2048' }),
      'rsa3072.der': await opensslCsr({ key: RSA(3072), subject: '/CN=meter-rsa-3072' }),
      'p256.der': await opensslCsr({ key: EC('P-256'), subject: '/O=Floor/CN=gw-p256' }),
      'p384.der': await opensslCsr({ key: EC('P-384'), subject: '/CN=gw-p384/serialNumber=SN-384' }),
    });
    const out = path.join(tempDir(), 'out');
    const run = await enrollLocal({ dir, pass }, csrDir, out);
    expect(run.lines.map((l) => [l.deviceId, l.status]).sort(), JSON.stringify(run.lines)).toEqual([
      ['gw-p256', 'issued'],
      ['gw-p384', 'issued'],
      ['meter-rsa-3072', 'issued'],
      ['tpm-rsa-2048', 'issued'],
    ]);
    expect(run.code).toBe(0);
    await runEnroller(dir, 'ca', 'export', '--out', path.join(dir, 'chain.pem'));
    for (const line of run.lines) {
      expect(
        (await openssl(['verify', '-CAfile', path.join(dir, 'chain.pem'), String(line.certFile)])).stdout,
      ).toContain('OK');
    }
    const subject = (id: string) =>
      new x509.X509Certificate(fs.readFileSync(path.join(out, `${id}.pem`), 'utf8')).subject;
    expect(subject('tpm-rsa-2048')).toBe('C=DE, O=Floor, CN=tpm-rsa-2048');
    expect(subject('gw-p384')).toBe('CN=gw-p384, 2.5.4.5=SN-384');
  });

  it('names the device type in effect when a key is refused', async () => {
    const { dir, pass } = await station();
    const csr = path.join(
      writeCsrs(path.join(tempDir(), 'in'), {
        'rsa.der': await opensslCsr({ key: RSA(2048), subject: '/CN=rsa-on-nrf' }),
      }),
      'rsa.der',
    );
    const run = await runEnroller(
      dir,
      'enroll',
      '--csr',
      csr,
      '--device-type',
      'nrf91-default',
      '--profile',
      'local',
      '--out-dir',
      tempDir(),
      '--passphrase-file',
      pass,
    );
    expect(run.code).toBe(1);
    expect(run.lines[0]).toMatchObject({
      status: 'failed',
      code: 'CSR_KEY_TYPE_NOT_ALLOWED',
      message: expect.stringContaining('Device type nrf91-default does not accept rsa-2048'),
    });
  });
});

describe('SCEP codes live inside the CSR (the Debian SCEP server)', () => {
  it('refuses a CSR without a challengePassword before sending it; one that carries the code is issued', async () => {
    const scep = await startScepServer({ challenge: 's3cret' });
    closers.push(() => scep.stop());
    const { dir, pass } = await station();
    const secrets = tempDir();
    fs.writeFileSync(path.join(secrets, 'challenge'), 's3cret');
    const added = await runEnroller(
      dir,
      'profile',
      'add',
      'line-scep',
      '--scep',
      scep.url,
      '--challenge-file',
      path.join(secrets, 'challenge'),
      '--passphrase-file',
      pass,
    );
    expect(added.code, JSON.stringify(added.lines)).toBe(0);

    const work = tempDir('enroller-scep-csr-');
    await openssl(['genpkey', ...RSA(2048), '-out', path.join(work, 'key.pem')]);
    const config = (cn: string, code?: string) =>
      `[req]\nprompt = no\ndistinguished_name = dn\n${code ? 'attributes = attrs\n' : ''}[dn]\nCN = ` +
      `${cn}\n${code ? `[attrs]\nchallengePassword = ${code}\n` : ''}`;
    for (const [name, cn, code] of [
      ['bare', 'scep-bare', undefined],
      ['coded', 'scep-coded', 's3cret'],
    ] as const) {
      fs.writeFileSync(path.join(work, `${name}.cnf`), config(cn, code));
      await openssl([
        'req',
        '-new',
        '-key',
        path.join(work, 'key.pem'),
        '-config',
        path.join(work, `${name}.cnf`),
        '-outform',
        'DER',
        '-out',
        path.join(work, `${name}.der`),
      ]);
    }
    const out = path.join(tempDir(), 'out');
    const enroll = (file: string) =>
      runEnroller(
        dir,
        'enroll',
        '--csr',
        path.join(work, file),
        '--profile',
        'line-scep',
        '--out-dir',
        out,
        '--passphrase-file',
        pass,
      );

    const bare = await enroll('bare.der');
    expect(bare.code).toBe(1);
    expect(bare.lines[0]).toMatchObject({
      status: 'failed',
      code: 'SCEP_CHALLENGE_MISSING',
      message: expect.stringContaining('must put its enrollment code in its CSR'),
    });
    expect(fs.readFileSync(path.join(scep.depot, 'index.txt'), 'utf8')).toBe(''); // nothing reached the CA

    const coded = await enroll('coded.der');
    expect(coded.lines[0], JSON.stringify(coded.lines)).toMatchObject({ status: 'issued', deviceId: 'scep-coded' });
    expect(
      (await openssl(['verify', '-CAfile', path.join(scep.depot, 'ca.pem'), String(coded.lines[0]!.certFile)])).stdout,
    ).toContain('OK');
  });
});

describe('one device ID, one certificate', () => {
  it.each([1, 4])(
    'two CSR files naming one device in one run (concurrency %i): one is issued, the other is refused naming both',
    async (concurrency) => {
      const { dir, pass } = await station();
      const first = await opensslCsr({ key: EC('P-256'), subject: '/CN=twin-7' });
      const second = await opensslCsr({ key: EC('P-256'), subject: '/CN=twin-7' });
      const csrDir = writeCsrs(path.join(tempDir(), 'in'), {
        'a.der': first,
        'b.der': second,
        'other.der': await opensslCsr({ key: EC('P-256'), subject: '/CN=other-7' }),
      });
      const out = path.join(tempDir(), 'out');
      const run = await enrollLocal({ dir, pass }, csrDir, out, '--concurrency', String(concurrency));
      expect(run.code).toBe(1);
      const twins = run.lines.filter((l) => l.deviceId === 'twin-7');
      expect(twins.map((l) => l.status).sort()).toEqual(['failed', 'issued']);
      const refused = twins.find((l) => l.status === 'failed')!;
      const winner = twins.find((l) => l.status === 'issued')!;
      expect(refused.code).toBe('DEVICE_ID_CONFLICT');
      expect(refused.message).toContain(path.basename(String(refused.csr)));
      expect(refused.message).toContain(path.basename(String(winner.csr)));
      expect(run.lines.find((l) => l.deviceId === 'other-7')).toMatchObject({ status: 'issued' });
      // The winner's certificate is the one on disk, and the only one on record for the ID.
      expect(certKeyOf(path.join(out, 'twin-7.pem'))).toBe(
        keyOf(path.basename(String(winner.csr)) === 'a.der' ? first : second),
      );
      expect(fs.readdirSync(out).filter((f) => f.startsWith('twin-7'))).toEqual(['twin-7.der', 'twin-7.pem']);
      expect(issuedCount(dir, 'twin-7')).toBe(1);
    },
  );

  it('two processes on one data folder racing for the same IDs: each ID is issued exactly once', async () => {
    const { dir, pass } = await station();
    const ids = Array.from({ length: 6 }, (_, i) => `racer-${i}`);
    const side = async (label: string) =>
      writeCsrs(
        path.join(tempDir(), label),
        Object.fromEntries(
          await Promise.all(
            ids.map(
              async (id) =>
                [`${label}-${id}.der`, await opensslCsr({ key: EC('P-256'), subject: `/CN=${id}` })] as const,
            ),
          ),
        ),
      );
    const [left, right] = await Promise.all([side('left'), side('right')]);
    const out = path.join(tempDir(), 'out');
    const runs = await Promise.all(
      [left, right].map((csrDir) => enrollLocal({ dir, pass }, csrDir, out, '--concurrency', '3')),
    );
    const lines = runs.flatMap((r) => r.lines);
    for (const id of ids) {
      const mine = lines.filter((l) => l.deviceId === id);
      expect(
        mine.map((l) => l.status).sort(),
        `${JSON.stringify(mine)} ` +
          runs
            .map((r) => `exit ${r.code}: ${r.stderr} ${JSON.stringify(r.lines.filter((l) => !l.deviceId))}`)
            .join(' | '),
      ).toEqual(['failed', 'issued']);
      // Racing in flight: DEVICE_ID_CONFLICT; the loser came after the winner finished: DEVICE_ALREADY_ENROLLED.
      expect(['DEVICE_ID_CONFLICT', 'DEVICE_ALREADY_ENROLLED']).toContain(
        mine.find((l) => l.status === 'failed')!.code,
      );
      expect(issuedCount(dir, id)).toBe(1);
      const winner = mine.find((l) => l.status === 'issued')!;
      expect(certKeyOf(path.join(out, `${id}.pem`))).toBe(keyOf(new Uint8Array(fs.readFileSync(String(winner.csr)))));
    }
  });

  it(
    'two ports reporting one identity in one batch: one device is verified, the other port gets DEVICE_ID_CONFLICT ' +
      'and nothing written',
    async () => {
      const { dir, pass } = await station();
      // Two simulators made from one seed are one IMEI: a cloned identity, or one device on two ports.
      const twins: PtySimulator[] = await Promise.all(
        ['a', 'b'].map((side) =>
          startPtySimulator({ dir: tempDir(`enroller-twin-${side}-`), seed: 'cloned-imei', keygenDelayMs: 100 }),
        ),
      );
      closers.push(async () => void (await Promise.all(twins.map((t) => t.close()))));
      const run = await runEnroller(
        dir,
        'provision',
        ...twins.flatMap((t) => ['--port', t.hostPath]),
        '--device-type',
        'nrf91-default',
        '--passphrase-file',
        pass,
      );
      expect(run.code).toBe(1);
      expect(run.lines.map((l) => l.status).sort(), JSON.stringify(run.lines)).toEqual(['failed', 'verified']);
      const loser = run.lines.find((l) => l.status === 'failed')!;
      const winner = run.lines.find((l) => l.status === 'verified')!;
      expect(loser).toMatchObject({
        code: 'DEVICE_ID_CONFLICT',
        message: expect.stringContaining(String(winner.port)),
      });
      expect(loser.message).toContain(String(loser.port));
      const loserSim = twins.find((t) => t.hostPath === loser.port)!;
      expect(loserSim.simulator.store.get(16842753, 1)).toBeUndefined(); // no certificate written to it
      expect(issuedCount(dir, String(winner.deviceId))).toBe(1);
    },
  );

  it('never overwrites a certificate file for another key: names that collide get a ~N suffix, reported', async () => {
    const { dir, pass } = await station();
    // "line/3" and "line_3" are two devices, but one file name.
    const csrDir = writeCsrs(path.join(tempDir(), 'in'), {
      '1.der': await opensslCsr({ key: EC('P-256'), subject: '/CN=line\\/3' }),
      '2.der': await opensslCsr({ key: EC('P-256'), subject: '/CN=line_3' }),
    });
    const out = path.join(tempDir(), 'out');
    const run = await enrollLocal({ dir, pass }, csrDir, out, '--concurrency', '1');
    expect(run.code, JSON.stringify(run.lines)).toBe(0);
    expect(run.lines.map((l) => path.basename(String(l.certFile)))).toEqual(['line_3.pem', 'line_3~2.pem']);
    expect(run.lines[1]!.message).toContain('line_3.pem already holds a certificate for another key');
    expect(new x509.X509Certificate(fs.readFileSync(path.join(out, 'line_3.pem'), 'utf8')).subject).toBe('CN=line/3');
    expect(new x509.X509Certificate(fs.readFileSync(path.join(out, 'line_3~2.pem'), 'utf8')).subject).toBe('CN=line_3');
    // A rerun re-exports each to its own file again, and issues nothing.
    const again = await enrollLocal({ dir, pass }, csrDir, out, '--concurrency', '1');
    expect(again.lines.map((l) => [l.status, path.basename(String(l.certFile))])).toEqual([
      ['issued', 'line_3.pem'],
      ['issued', 'line_3~2.pem'],
    ]);
    expect(issuedCount(dir, 'line/3') + issuedCount(dir, 'line_3')).toBe(2);
  });

  it('an out dir inside the scanned CSR folder is never read back as input', async () => {
    const { dir, pass } = await station();
    const csrDir = writeCsrs(path.join(tempDir(), 'in'), {
      'a.der': await opensslCsr({ key: EC('P-256'), subject: '/CN=nested-a' }),
    });
    const out = path.join(csrDir, 'certs');
    for (let round = 0; round < 2; round++) {
      const run = await enrollLocal({ dir, pass }, csrDir, out);
      expect(run.code, JSON.stringify(run.lines)).toBe(0);
      expect(run.lines.map((l) => path.basename(String(l.csr)))).toEqual(['a.der']);
    }
    expect(fs.readdirSync(out).sort()).toEqual(['nested-a.der', 'nested-a.pem']);
  });
});
