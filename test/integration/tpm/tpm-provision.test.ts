// `enroller provision --tpm TCTI` end to end against a real swtpm: the same pipeline, audit and
// records as a modem. Local CA (EC key, EK certificate as evidence, certificate in NV checked with
// tpm2-tools and openssl), the real Debian SCEP server (an RSA key in the TPM signs its own
// request, carries the enrollment code, and unwraps the reply), a serial given on the command
// line, and kill -9 at every step with nothing issued twice.
import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { x509 } from '../../../main/pki/crypto';
import { enrollerBin, runEnroller } from '../../helpers/cli';
import { tempDir } from '../../helpers/station';
import { startScepServer, type ScepServer } from '../../support/scep-server';
import { startSwtpm, type Swtpm } from '../../support/swtpm';

const closers: Array<() => Promise<void>> = [];
afterAll(async () => {
  await Promise.all(closers.map((c) => c()));
});

async function tpm(options: { ekCertificate?: boolean } = {}): Promise<Swtpm> {
  const started = await startSwtpm(options);
  closers.push(() => started.stop());
  return started;
}

function files(entries: Record<string, string>): Record<string, string> {
  const dir = tempDir();
  return Object.fromEntries(
    Object.entries(entries).map(([name, text]) => [
      name,
      (fs.writeFileSync(path.join(dir, name), text), path.join(dir, name)),
    ]),
  );
}

const tools = (swtpm: Swtpm, tool: string, ...args: string[]) => execFileSync(tool, [`--tcti=${swtpm.tcti}`, ...args]);
function nvRead(swtpm: Swtpm, index: string): Buffer {
  const size = /size:\s*(\d+)/.exec(tools(swtpm, 'tpm2_nvreadpublic', index).toString())![1]!;
  const out = path.join(tempDir(), 'nv.der');
  tools(swtpm, 'tpm2_nvread', index, '-C', 'o', '-s', size, '-o', out);
  return fs.readFileSync(out);
}
function readPublic(swtpm: Swtpm, handle: string): Buffer {
  const out = path.join(tempDir(), 'pub.der');
  tools(swtpm, 'tpm2_readpublic', '-c', handle, '-f', 'der', '-o', out);
  return fs.readFileSync(out);
}
/** When a certificate came from elsewhere than the SCEP server: the lines, the queue and the server's log. */
async function whatHappened(dir: string, lines: unknown[], scep: ScepServer): Promise<string> {
  const queue = (await runEnroller(dir, 'queue', 'list')).lines;
  return `${JSON.stringify(lines)}\nqueue: ${JSON.stringify(queue)}\nscepserver: ${scep.log()}`;
}
const openssl = (...args: string[]) => execFileSync('openssl', args, { encoding: 'utf8' });

describe('provision --tpm', () => {
  it('local CA: key made in the TPM, TPM-signed CSR, certificate in NV and proven; a rerun is recognised', async () => {
    const swtpm = await tpm({ ekCertificate: true });
    const dir = tempDir();
    const f = files({ pass: 'station passphrase' });
    const out = tempDir('enroller-tpm-out-');
    expect((await runEnroller(dir, 'ca', 'init', '--passphrase-file', f.pass!)).code).toBe(0);
    const run = await runEnroller(
      dir,
      'provision',
      '--tpm',
      swtpm.tcti,
      '--device-type',
      'tpm-default',
      '--passphrase-file',
      f.pass!,
      '--out-dir',
      out,
      '--pet-name',
      `${swtpm.tcti}=blue-heron`,
    );
    expect(run.code, JSON.stringify(run.lines)).toBe(0);
    const [line] = run.lines;
    // The ID comes from the EK certificate the manufacturer put in the TPM.
    const ek = nvRead(swtpm, '0x01c00002');
    const expectedId = `tpm-${crypto.createHash('sha256').update(ek).digest('hex').slice(0, 32)}`;
    expect(line).toMatchObject({ port: swtpm.tcti, status: 'verified', deviceId: expectedId, petName: 'blue-heron' });

    // What the TPM holds, read by tpm2-tools: the certificate in NV, for the key at the handle.
    const certDer = nvRead(swtpm, '0x01500101');
    const certificate = new x509.X509Certificate(new Uint8Array(certDer));
    expect(certificate.serialNumber).toBe(line!.certSerial);
    expect(certificate.subject).toBe(`CN=${expectedId}`);
    expect(Buffer.from(certificate.publicKey.rawData).equals(readPublic(swtpm, '0x81000101'))).toBe(true);
    const chain = (await runEnroller(dir, 'ca', 'export')).lines[0]!.pem as string;
    const [issuing, root] = chain.split(/(?=-----BEGIN CERTIFICATE-----)/);
    const work = tempDir();
    fs.writeFileSync(path.join(work, 'root.pem'), root!);
    fs.writeFileSync(path.join(work, 'issuing.pem'), issuing!);
    fs.writeFileSync(path.join(work, 'leaf.der'), certDer);
    openssl('x509', '-inform', 'der', '-in', path.join(work, 'leaf.der'), '-out', path.join(work, 'leaf.pem'));
    expect(
      openssl(
        'verify',
        '-CAfile',
        path.join(work, 'root.pem'),
        '-untrusted',
        path.join(work, 'issuing.pem'),
        path.join(work, 'leaf.pem'),
      ),
    ).toContain(': OK');
    // Files for the trip back too, named by device ID.
    expect(fs.readFileSync(path.join(out, `${expectedId}.der`)).equals(certDer)).toBe(true);

    // Recorded like any device: the EK certificate kept as key-origin evidence, every step audited.
    const db = new Database(path.join(dir, 'station.sqlite'), { readonly: true });
    const job = db
      .prepare("SELECT status, step, key_evidence FROM jobs WHERE device_id = ? AND status = 'done'")
      .get(expectedId) as { key_evidence: Buffer };
    expect(Buffer.from(job.key_evidence).equals(ek)).toBe(true);
    const actions = (
      db.prepare('SELECT action FROM audit_log WHERE subject = ? ORDER BY seq').all(expectedId) as Array<{
        action: string;
      }>
    ).map((r) => r.action);
    expect(actions).toEqual(
      expect.arrayContaining(['device.approved', 'csr.generated', 'credentials.written', 'device.provisioned']),
    );
    db.close();

    const again = await runEnroller(
      dir,
      'provision',
      '--tpm',
      swtpm.tcti,
      '--device-type',
      'tpm-default',
      '--passphrase-file',
      f.pass!,
    );
    expect(again.lines[0]).toMatchObject({
      status: 'verified',
      code: 'DEVICE_ALREADY_ENROLLED',
      certSerial: line!.certSerial,
    });
  });

  it('only TPMs whose EK certificate a trusted maker signed, when the device type names its makers', async () => {
    const swtpm = await tpm({ ekCertificate: true });
    const dir = tempDir();
    const base = {
      device: 'tpm',
      idTemplate: 'tpm-{ekFingerprint}',
      subject: [{ attribute: 'CN', template: '{deviceId}', required: true }],
      keyPolicy: { allowed: ['ec-p256'] },
      certificate: { kind: 'operational', validityDays: 365 },
    };
    // Another maker's CA with the very same name as swtpm's: only the signature tells them apart.
    const strangerDir = tempDir();
    openssl(
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-subj',
      '/CN=swtpm-localca',
      '-days',
      '2',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-keyout',
      path.join(strangerDir, 'k.pem'),
      '-out',
      path.join(strangerDir, 'c.pem'),
    );
    const STRANGER_ROOT = fs.readFileSync(path.join(strangerDir, 'c.pem'), 'utf8');
    const f = files({
      pass: 'station passphrase',
      trusted: JSON.stringify({
        ...base,
        name: 'tpm-trusted',
        tpm: {
          keyHandle: '0x81000131',
          certNvIndex: '0x01500131',
          keyAlgorithm: 'ec-p256',
          ekTrust: [swtpm.ekIssuerPem],
        },
      }),
      stranger: JSON.stringify({
        ...base,
        name: 'tpm-stranger',
        tpm: { keyHandle: '0x81000132', certNvIndex: '0x01500132', keyAlgorithm: 'ec-p256', ekTrust: [STRANGER_ROOT] },
      }),
    });
    await runEnroller(dir, 'ca', 'init', '--passphrase-file', f.pass!);
    expect((await runEnroller(dir, 'device-type', 'import', f.trusted!)).code).toBe(0);
    expect((await runEnroller(dir, 'device-type', 'import', f.stranger!)).code).toBe(0);
    const refused = await runEnroller(
      dir,
      'provision',
      '--tpm',
      swtpm.tcti,
      '--device-type',
      'tpm-stranger',
      '--passphrase-file',
      f.pass!,
    );
    expect(refused.lines[0]).toMatchObject({ status: 'failed', code: 'TPM_EK_UNTRUSTED' });
    // Refused before anything was made in the TPM.
    expect(tools(swtpm, 'tpm2_getcap', 'handles-persistent').toString()).not.toMatch(/0x81000132/i);
    const accepted = await runEnroller(
      dir,
      'provision',
      '--tpm',
      swtpm.tcti,
      '--device-type',
      'tpm-trusted',
      '--passphrase-file',
      f.pass!,
    );
    expect(accepted.lines[0], JSON.stringify(accepted.lines)).toMatchObject({ status: 'verified' });
    const db = new Database(path.join(dir, 'station.sqlite'), { readonly: true });
    const approved = db
      .prepare("SELECT details FROM audit_log WHERE action = 'device.approved' AND subject = ?")
      .get(accepted.lines[0]!.deviceId) as { details: string };
    expect(JSON.parse(approved.details).ekChain[1]).toContain('swtpm-localca');
    db.close();
  });

  it('a TPM without an EK certificate, identified by the serial given for it', async () => {
    const swtpm = await tpm();
    const dir = tempDir();
    const f = files({
      pass: 'station passphrase',
      type: JSON.stringify({
        name: 'tpm-serial',
        device: 'tpm',
        idTemplate: 'tpm-{serial}',
        subject: [
          { attribute: 'CN', template: '{deviceId}', required: true },
          { attribute: 'serialNumber', template: '{serial}' },
        ],
        keyPolicy: { allowed: ['ec-p256'] },
        certificate: { kind: 'operational', validityDays: 365 },
        tpm: { keyHandle: '0x81000121', certNvIndex: '0x01500121', keyAlgorithm: 'ec-p256' },
      }),
    });
    await runEnroller(dir, 'ca', 'init', '--passphrase-file', f.pass!);
    expect((await runEnroller(dir, 'device-type', 'import', f.type!)).code).toBe(0);
    const run = await runEnroller(
      dir,
      'provision',
      '--tpm',
      swtpm.tcti,
      '--serial',
      'SN-0077',
      '--device-type',
      'tpm-serial',
      '--passphrase-file',
      f.pass!,
    );
    expect(run.lines[0], JSON.stringify(run.lines)).toMatchObject({ status: 'verified', deviceId: 'tpm-SN-0077' });
    expect(new x509.X509Certificate(new Uint8Array(nvRead(swtpm, '0x01500121'))).subject).toBe(
      'CN=tpm-SN-0077, 2.5.4.5=SN-0077',
    );
    // And a TPM that is not there is one coded failure, not a crash.
    const absent = await runEnroller(
      dir,
      'provision',
      '--tpm',
      `swtpm:path=${path.join(tempDir(), 'none.sock')}`,
      '--serial',
      'SN-1',
      '--device-type',
      'tpm-serial',
      '--passphrase-file',
      f.pass!,
    );
    expect(absent.code).toBe(1);
    expect(absent.lines[0]).toMatchObject({ status: 'failed', code: 'TPM_UNREACHABLE' });
    const typo = await runEnroller(
      dir,
      'provision',
      '--tpm',
      'mssim:host=x',
      '--device-type',
      'tpm-serial',
      '--passphrase-file',
      f.pass!,
    );
    expect(typo.lines[0]).toMatchObject({ code: 'TPM_TCTI_INVALID' });
  });

  it('kill -9 right after each step commits: the rerun finishes with one key, one CSR, one certificate', async () => {
    const swtpm = await tpm({ ekCertificate: true });
    const dir = tempDir();
    const f = files({ pass: 'station passphrase' });
    await runEnroller(dir, 'ca', 'init', '--passphrase-file', f.pass!);
    const args = [
      enrollerBin,
      '--data-dir',
      dir,
      '--json',
      'provision',
      '--tpm',
      swtpm.tcti,
      '--device-type',
      'tpm-default',
      '--passphrase-file',
      f.pass!,
    ];
    // Killed the moment each step is committed, so the next side effect (key, certificate, NV
    // write, readback) is what the kill interrupts; each run resumes from the step before.
    const stepsKilled: string[] = [];
    const stepOfLatestJob = () => {
      if (!fs.existsSync(path.join(dir, 'station.sqlite'))) return undefined;
      const db = new Database(path.join(dir, 'station.sqlite'), { readonly: true });
      try {
        return db.prepare('SELECT step, status FROM jobs ORDER BY id DESC LIMIT 1').get() as
          { step: string; status: string } | undefined;
      } finally {
        db.close();
      }
    };
    for (const target of ['approved', 'csr', 'enrolled', 'written']) {
      const child = spawn(process.execPath, args, { stdio: 'ignore' });
      const exited = new Promise((r) => child.once('exit', r));
      for (;;) {
        if (child.exitCode !== null) break;
        const job = stepOfLatestJob();
        if (job?.step === target && job.status !== 'failed') {
          child.kill('SIGKILL');
          stepsKilled.push(target);
          break;
        }
        await new Promise((r) => setTimeout(r, 2));
      }
      await exited;
    }
    const final = await runEnroller(
      dir,
      'provision',
      '--tpm',
      swtpm.tcti,
      '--device-type',
      'tpm-default',
      '--passphrase-file',
      f.pass!,
    );
    expect(final.lines[0], JSON.stringify(final.lines)).toMatchObject({ status: 'verified' });
    const deviceId = final.lines[0]!.deviceId as string;
    const db = new Database(path.join(dir, 'station.sqlite'), { readonly: true });
    const issued = db
      .prepare("SELECT serial, der FROM certificates WHERE device_id = ? AND status = 'issued'")
      .all(deviceId) as Array<{ serial: string; der: Buffer }>;
    expect(issued).toHaveLength(1);
    expect(nvRead(swtpm, '0x01500101').equals(issued[0]!.der)).toBe(true);
    expect(
      db.prepare("SELECT count(*) AS n FROM audit_log WHERE action = 'csr.generated' AND subject = ?").get(deviceId),
    ).toEqual({ n: 1 });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
    expect(
      tools(swtpm, 'tpm2_getcap', 'handles-persistent')
        .toString()
        .match(/0x81000101/gi),
    ).toHaveLength(1);
    expect(stepsKilled.length, stepsKilled.join(',')).toBeGreaterThanOrEqual(2); // the kills landed at different steps
  });
});

describe('provision --tpm with the real SCEP server', () => {
  it('an RSA key in the TPM signs its own SCEP request with the code; the TPM unwraps the reply', async () => {
    const scep = await startScepServer({ challenge: 'enroll-code-4711', verifier: 'approve' });
    closers.push(() => scep.stop());
    const swtpm = await tpm({ ekCertificate: true });
    const dir = tempDir();
    const type = {
      name: 'tpm-rsa',
      device: 'tpm',
      idTemplate: 'tpm-{ekFingerprint}',
      subject: [{ attribute: 'CN', template: '{deviceId}', required: true }],
      keyPolicy: { allowed: ['rsa-2048'] },
      certificate: { kind: 'operational', validityDays: 365 },
      tpm: { keyHandle: '0x81000111', certNvIndex: '0x01500111', keyAlgorithm: 'rsa-2048' },
      profile: 'factory-scep',
    };
    const f = files({
      pass: 'station passphrase',
      challenge: 'enroll-code-4711',
      wrong: 'not-the-code',
      type: JSON.stringify(type),
      wrongType: JSON.stringify({
        ...type,
        name: 'tpm-rsa-wrong',
        profile: 'wrong-code',
        tpm: { ...type.tpm, keyHandle: '0x81000112' },
      }),
    });
    const pin = crypto
      .createHash('sha256')
      .update(new Uint8Array(new x509.X509Certificate(scep.caPem).rawData))
      .digest('hex');
    await runEnroller(dir, 'ca', 'init', '--passphrase-file', f.pass!);
    expect(
      (
        await runEnroller(
          dir,
          'profile',
          'add',
          'factory-scep',
          '--scep',
          scep.url,
          '--ca-fingerprint',
          pin,
          '--challenge-file',
          f.challenge!,
          '--passphrase-file',
          f.pass!,
        )
      ).code,
    ).toBe(0);
    expect(
      (
        await runEnroller(
          dir,
          'profile',
          'add',
          'wrong-code',
          '--scep',
          scep.url,
          '--ca-fingerprint',
          pin,
          '--challenge-file',
          f.wrong!,
          '--passphrase-file',
          f.pass!,
        )
      ).code,
    ).toBe(0);
    await runEnroller(dir, 'device-type', 'import', f.type!);
    await runEnroller(dir, 'device-type', 'import', f.wrongType!);

    const run = await runEnroller(
      dir,
      'provision',
      '--tpm',
      swtpm.tcti,
      '--device-type',
      'tpm-rsa',
      '--passphrase-file',
      f.pass!,
    );
    expect(run.lines[0], JSON.stringify(run.lines)).toMatchObject({ status: 'verified' });
    expect(run.lines[0]!.issuer, await whatHappened(dir, run.lines, scep)).toBe(
      new x509.X509Certificate(scep.caPem).subject,
    );
    const certificate = new x509.X509Certificate(new Uint8Array(nvRead(swtpm, '0x01500111')));
    expect(certificate.issuer).toBe(new x509.X509Certificate(scep.caPem).subject);
    expect(Buffer.from(certificate.publicKey.rawData).equals(readPublic(swtpm, '0x81000111'))).toBe(true);
    // The request the server received carried the enrollment code (its CSR verifier hook kept it).
    const received = path.join(path.dirname(scep.depot), 'last.csr');
    const text = openssl('req', '-inform', 'der', '-in', received, '-noout', '-text', '-verify');
    expect(text).toContain('enroll-code-4711');
    // A wrong code: the server refuses it, coded, and nothing is written.
    const refused = await runEnroller(
      dir,
      'provision',
      '--tpm',
      swtpm.tcti,
      '--device-type',
      'tpm-rsa-wrong',
      '--passphrase-file',
      f.pass!,
      '--force',
    );
    expect(refused.lines[0]).toMatchObject({ status: 'failed', code: 'SCEP_FAILURE' });
  });
});

describe('provision --tpm with one-time enrollment codes', () => {
  it('each TPM CSR carries its own code from a bundle; a code the service refuses is burnt, never reused', async () => {
    // The SCEP server's approval hook accepts each code of its list once (serialised with flock).
    const scep = await startScepServer({
      verifierScript: [
        'exec 9>"$1/lock"; flock 9',
        'cat > "$1/last.csr"',
        `code=$(openssl req -inform der -in "$1/last.csr" -noout -text 2>/dev/null | sed -n 's/^ *challengePassword ` +
          `*://p' | tr -d ' ')`,
        '[ -n "$code" ] && grep -qx "$code" "$1/codes" || exit 1',
        'grep -vx "$code" "$1/codes" > "$1/codes.new"; mv "$1/codes.new" "$1/codes"; echo "$code" >> "$1/used"',
      ].join('\n'),
    });
    closers.push(() => scep.stop());
    const hook = path.dirname(scep.depot);
    fs.writeFileSync(path.join(hook, 'codes'), 'otp-a\notp-b\n'); // otp-c was revoked at the service
    const [first, second, third] = await Promise.all([tpm(), tpm(), tpm()]);
    const dir = tempDir();
    const pin = crypto
      .createHash('sha256')
      .update(new Uint8Array(new x509.X509Certificate(scep.caPem).rawData))
      .digest('hex');
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
    const f = files({
      pass: 'station passphrase',
      bundle: JSON.stringify({
        format: 'floor-enroller-bundle',
        version: 1,
        profile: 'factory-otp',
        expiresAt,
        credentials: ['a', 'b', 'c'].map((id) => ({ id, secret: `otp-${id}` })),
      }),
      type: JSON.stringify({
        name: 'tpm-otp',
        device: 'tpm',
        idTemplate: 'tpm-{ekFingerprint}',
        subject: [{ attribute: 'CN', template: '{deviceId}', required: true }],
        keyPolicy: { allowed: ['rsa-2048'] },
        certificate: { kind: 'operational', validityDays: 365 },
        tpm: { keyHandle: '0x81000141', certNvIndex: '0x01500141', keyAlgorithm: 'rsa-2048' },
        profile: 'factory-otp',
      }),
    });
    await runEnroller(dir, 'ca', 'init', '--passphrase-file', f.pass!);
    expect(
      (await runEnroller(dir, 'profile', 'add', 'factory-otp', '--scep', scep.url, '--ca-fingerprint', pin)).code,
    ).toBe(0);
    expect((await runEnroller(dir, 'bundle', 'import', f.bundle!, '--passphrase-file', f.pass!)).code).toBe(0);
    await runEnroller(dir, 'device-type', 'import', f.type!);

    const batch = await runEnroller(
      dir,
      'provision',
      '--tpm',
      first!.tcti,
      second!.tcti,
      '--device-type',
      'tpm-otp',
      '--passphrase-file',
      f.pass!,
    );
    expect(
      batch.lines.map((l) => l.status),
      JSON.stringify(batch.lines),
    ).toEqual(['verified', 'verified']);
    expect(
      batch.lines.map((l) => l.issuer),
      await whatHappened(dir, batch.lines, scep),
    ).toEqual([new x509.X509Certificate(scep.caPem).subject, new x509.X509Certificate(scep.caPem).subject]);
    expect(fs.readFileSync(path.join(hook, 'used'), 'utf8').trim().split('\n').sort()).toEqual(['otp-a', 'otp-b']);
    const ledger = (await runEnroller(dir, 'bundle', 'list')).lines;
    const consumed = ledger.filter((l) => l.status === 'consumed');
    expect(consumed.map((l) => l.deviceId).sort()).toEqual(batch.lines.map((l) => l.deviceId).sort());
    for (const use of consumed) expect(use.csrSha256).toMatch(/^[0-9a-f]{64}$/);

    // The third TPM gets otp-c, which the service refuses: coded, the code burnt, nothing written.
    const refused = await runEnroller(
      dir,
      'provision',
      '--tpm',
      third!.tcti,
      '--device-type',
      'tpm-otp',
      '--passphrase-file',
      f.pass!,
    );
    expect(refused.lines[0]).toMatchObject({ status: 'failed', code: 'SCEP_FAILURE' });
    expect((await runEnroller(dir, 'bundle', 'list')).lines.find((l) => l.credentialId === 'c')).toMatchObject({
      status: 'refused',
    });
    const again = await runEnroller(
      dir,
      'provision',
      '--tpm',
      third!.tcti,
      '--device-type',
      'tpm-otp',
      '--passphrase-file',
      f.pass!,
    );
    expect(again.lines[0]).toMatchObject({ status: 'failed', code: 'BUNDLE_CREDENTIALS_EXHAUSTED' });
    expect(tools(third!, 'tpm2_getcap', 'handles-nv-index').toString()).not.toMatch(/0x1500141/i);
  });
});
