// A bulk `enroll --csr` run on the station CA takes plain requests from devices the station has
// never met through its fast lane (station/bulk/fresh-lane.ts) and everything else through the
// pipeline. These tests hold the lane to the pipeline: the same rows for a device whichever way
// it went, the same refusals in the same words for what the lane hands on, one certificate per
// device ID and per key, names never overwritten, and a rerun that issues nothing.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { x509 } from '../../../main/pki/crypto';
import { runEnroller } from '../../helpers/cli';
import { keyPair, makeCsr } from '../../helpers/csr';
import { tempDir } from '../../helpers/station';

type Line = Record<string, unknown>;

interface Station {
  readonly dir: string;
  readonly pass: string;
  enroll(csrDir: string, outDir: string, ...extra: string[]): Promise<{ code: number; lines: Line[] }>;
  query<T>(sql: string, ...params: unknown[]): T[];
}

async function station(): Promise<Station> {
  const dir = tempDir();
  const pass = path.join(tempDir(), 'pass');
  fs.writeFileSync(pass, 'fresh lane passphrase');
  expect((await runEnroller(dir, 'ca', 'init', '--passphrase-file', pass)).code).toBe(0);
  return {
    dir,
    pass,
    enroll: (csrDir, outDir, ...extra) =>
      runEnroller(
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
        ...extra,
      ),
    query<T>(sql: string, ...params: unknown[]): T[] {
      const db = new Database(path.join(dir, 'station.sqlite'), { readonly: true });
      try {
        return db.prepare(sql).all(...params) as T[];
      } finally {
        db.close();
      }
    },
  };
}

const byFile = (lines: Line[]) => Object.fromEntries(lines.map((l) => [path.basename(String(l.csr)), l]));

describe('the fast lane of a bulk run', () => {
  let st: Station;
  let csrDir: string;
  let outDir: string;
  let first: { code: number; lines: Line[] };

  beforeAll(async () => {
    st = await station();
    csrDir = path.join(tempDir(), 'csrs');
    outDir = path.join(tempDir(), 'certs');
    fs.mkdirSync(csrDir);
    for (let i = 0; i < 60; i++)
      fs.writeFileSync(path.join(csrDir, `a-${i}.der`), await makeCsr({ name: `CN=lane-${i}` }));
    // Two keys, one device ID: the first is issued, the second refused in the pipeline's words.
    fs.writeFileSync(path.join(csrDir, 'b-twin-1.der'), await makeCsr({ name: 'CN=twin' }));
    fs.writeFileSync(path.join(csrDir, 'b-twin-2.der'), await makeCsr({ name: 'CN=twin' }));
    // One key, two device IDs.
    const shared = await keyPair();
    fs.writeFileSync(path.join(csrDir, 'c-shared-1.der'), await makeCsr({ name: 'CN=shared-1', keys: shared }));
    fs.writeFileSync(path.join(csrDir, 'c-shared-2.der'), await makeCsr({ name: 'CN=shared-2', keys: shared }));
    // Two IDs that make one file name: neither certificate overwrites the other.
    fs.writeFileSync(path.join(csrDir, 'd-name-1.der'), await makeCsr({ name: 'CN=dev a' }));
    fs.writeFileSync(path.join(csrDir, 'd-name-2.der'), await makeCsr({ name: 'CN=dev_a' }));
    // What the intake refuses goes to the pipeline, which says why.
    const good = await makeCsr({ name: 'CN=broken' });
    const flipped = Uint8Array.from(good);
    flipped[flipped.length - 5]! ^= 0xff;
    fs.writeFileSync(path.join(csrDir, 'e-bad-signature.der'), flipped);
    const san = new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'evil.example' }]);
    fs.writeFileSync(path.join(csrDir, 'e-asks-san.der'), await makeCsr({ name: 'CN=asks-san', extensions: [san] }));
    // Eight at a time, so most files are taken in ahead of their turn (FreshLane.ahead) while the
    // ones before them are recorded: the twins and the shared key are proved before either is recorded.
    first = await st.enroll(csrDir, outDir, '--concurrency', '8');
  }, 120_000);

  it('issues each new device once and refuses the rest with the pipeline’s codes', () => {
    const lines = byFile(first.lines);
    expect(first.lines).toHaveLength(68);
    for (let i = 0; i < 60; i++) expect(lines[`a-${i}.der`]).toMatchObject({ status: 'issued', deviceId: `lane-${i}` });
    // Which of two files wins is whichever is recorded first (several proof workers may answer out of
    // order); that exactly one does, and the other is refused with its code, is the rule.
    const oneOf = (a: string, b: string, code: string) =>
      expect([lines[a], lines[b]].map((l) => (l!.status === 'issued' ? 'issued' : l!.code)).sort()).toEqual(
        [code, 'issued'].sort(),
      );
    oneOf('b-twin-1.der', 'b-twin-2.der', 'DEVICE_ID_CONFLICT');
    oneOf('c-shared-1.der', 'c-shared-2.der', 'CSR_DUPLICATE_KEY');
    expect(lines['e-bad-signature.der']).toMatchObject({ status: 'failed', code: 'CSR_BAD_SIGNATURE' });
    expect(lines['e-asks-san.der']).toMatchObject({ status: 'failed', code: 'CSR_EXTRA_SAN' });
    expect(first.code).toBe(1);
  });

  it('never overwrites a name another device’s certificate took', () => {
    const lines = byFile(first.lines);
    const files = [lines['d-name-1.der']!, lines['d-name-2.der']!];
    expect(files.map((l) => l.status)).toEqual(['issued', 'issued']);
    expect(new Set(files.map((l) => path.basename(String(l.certFile))))).toEqual(new Set(['dev_a.pem', 'dev_a~2.pem']));
    expect(files.find((l) => String(l.certFile).endsWith('~2.pem'))!.message).toMatch(/already holds a certificate/);
    for (const line of files) {
      const cert = new x509.X509Certificate(fs.readFileSync(String(line.certFile)));
      expect(cert.serialNumber).toBe(line.certSerial);
    }
  });

  it('went the fast way for new devices: no separate reservation, the rest as the pipeline leaves it', () => {
    const reserved = st.query<{ subject: string }>(
      "SELECT subject FROM audit_log WHERE action = 'certificate.reserved'",
    );
    // The lane issued every fresh device; only the refused twin, the shared key and the second name went the
    // pipeline's way — and those the pipeline issued itself (the refusals reserve nothing).
    expect(reserved.map((r) => r.subject).filter((s) => s.startsWith('lane-'))).toEqual([]);
    const devices = st.query<{ device_id: string; mode: string }>(
      "SELECT device_id, mode FROM devices WHERE device_id LIKE 'lane-%'",
    );
    expect(devices).toHaveLength(60);
    expect(new Set(devices.map((d) => d.mode))).toEqual(new Set(['OPERATIONAL']));
    const jobs = st.query<{ step: string; status: string; cert: number; csr: number; written: string; times: string }>(
      `SELECT step, status, cert_der IS NOT NULL AS cert, csr_der IS NOT NULL AS csr, written, step_times AS times
         FROM jobs WHERE device_id LIKE 'lane-%'`,
    );
    expect(jobs).toHaveLength(60);
    for (const job of jobs) {
      expect(job).toMatchObject({ step: 'done', status: 'done', cert: 1, csr: 1 });
      expect(Object.keys(JSON.parse(job.written) as object).sort()).toEqual(['der', 'pem']);
      expect(Object.keys(JSON.parse(job.times) as object)).toEqual(
        expect.arrayContaining(['identified', 'approved', 'csr', 'enrolled', 'written', 'verified', 'done']),
      );
    }
    const ledger = st.query<{ n: number; keys: number }>(
      `SELECT count(*) AS n, count(DISTINCT key_fingerprint) AS keys FROM certificates
         WHERE device_id LIKE 'lane-%' AND status = 'issued' AND der IS NOT NULL`,
    );
    expect(ledger).toEqual([{ n: 60, keys: 60 }]);
    expect(st.query('SELECT * FROM device_claims')).toEqual([]);
    const trail = st.query<{ action: string }>("SELECT action FROM audit_log WHERE subject = 'lane-7' ORDER BY seq");
    expect(trail.map((t) => t.action)).toEqual([
      'device.approved',
      'csr.received',
      'certificate.issued',
      'credentials.written',
      'device.provisioned',
    ]);
  });

  it('writes certificates that chain to the station CA, carry the request’s key, and read back', async () => {
    for (const i of [0, 29, 59]) {
      const line = byFile(first.lines)[`a-${i}.der`]!;
      const pemText = fs.readFileSync(String(line.certFile), 'utf8');
      const [leaf, ...issuers] = (
        pemText.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []
      ).map((block) => new x509.X509Certificate(block));
      expect(issuers[0]!.subject).toBe(leaf!.issuer);
      expect(await leaf!.verify({ publicKey: issuers[0]!.publicKey, signatureOnly: true })).toBe(true);
      expect(
        Buffer.from(fs.readFileSync(String(line.certFile).replace(/\.pem$/, '.der'))).equals(
          Buffer.from(leaf!.rawData),
        ),
      ).toBe(true);
      const csr = new x509.Pkcs10CertificateRequest(fs.readFileSync(path.join(csrDir, `a-${i}.der`)));
      expect(Buffer.from(leaf!.publicKey.rawData).equals(Buffer.from(csr.publicKey.rawData))).toBe(true);
      expect(leaf!.subject).toBe(`CN=lane-${i}`);
      // The very bytes on the ledger and on the job: the certificate written, the request read.
      const [row] = st.query<{ ledger: Uint8Array; job: Uint8Array; request: Uint8Array }>(
        `SELECT c.der AS ledger, j.cert_der AS job, j.csr_der AS request FROM certificates c
           JOIN jobs j ON j.device_id = c.device_id WHERE c.device_id = ?`,
        `lane-${i}`,
      );
      expect(Buffer.from(row!.ledger).equals(Buffer.from(leaf!.rawData))).toBe(true);
      expect(Buffer.from(row!.job).equals(Buffer.from(leaf!.rawData))).toBe(true);
      expect(Buffer.from(row!.request).equals(fs.readFileSync(path.join(csrDir, `a-${i}.der`)))).toBe(true);
    }
    expect((await runEnroller(st.dir, 'audit', 'verify')).code).toBe(0);
  });

  it('a rerun issues nothing new: every file is the pipeline’s, written out again', async () => {
    const before = st.query<{ n: number }>('SELECT count(*) AS n FROM certificates')[0]!.n;
    const again = await st.enroll(csrDir, outDir);
    const lines = byFile(again.lines);
    for (let i = 0; i < 60; i++) {
      expect(lines[`a-${i}.der`]).toMatchObject({
        status: 'issued',
        certSerial: byFile(first.lines)[`a-${i}.der`]!.certSerial,
      });
    }
    expect(st.query<{ n: number }>('SELECT count(*) AS n FROM certificates')[0]!.n).toBe(before);
  });

  it('leaves a device whose type issues birth certificates in FACTORY mode, as the pipeline does', async () => {
    const type = path.join(tempDir(), 'birth-type.json');
    fs.writeFileSync(
      type,
      JSON.stringify({
        name: 'birth-csr',
        device: 'csr-file',
        idTemplate: '{deviceId}',
        subject: [{ attribute: 'CN', fromCsr: true, required: true }],
        keyPolicy: { allowed: ['ec-p256'] },
        certificate: { kind: 'birth', validityDays: 30 },
      }),
    );
    expect((await runEnroller(st.dir, 'device-type', 'import', type)).code).toBe(0);
    const births = path.join(tempDir(), 'births');
    fs.mkdirSync(births);
    for (let i = 0; i < 3; i++)
      fs.writeFileSync(path.join(births, `f-${i}.der`), await makeCsr({ name: `CN=born-${i}` }));
    const run = await st.enroll(births, path.join(tempDir(), 'birth-certs'), '--device-type', 'birth-csr');
    expect(run.lines.map((l) => l.status)).toEqual(['issued', 'issued', 'issued']);
    const rows = st.query<{ mode: string; kind: string }>(
      `SELECT d.mode, c.kind FROM devices d JOIN certificates c ON c.device_id = d.device_id
         WHERE d.device_id LIKE 'born-%'`,
    );
    expect(rows).toEqual(Array(3).fill({ mode: 'FACTORY', kind: 'birth' }));
  });
});
