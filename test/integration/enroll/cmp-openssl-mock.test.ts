// CMP (#24) against OpenSSL 3.0's own mock CMP server, through the real CLI (`enroll --csr` on a CMP
// profile, the same pipeline every device goes through):
//  1. MAC protection (PBM): issued, certConf answered by pkiConf; implicit confirmation where the
//     server grants it (no certConf then).
//  2. Signature protection with the station's certificate; the server's signatures checked against --trust.
//  3. Polling: one and several rounds of pollReq / pollRep become "pending" in the queue and end in `queue sync`.
//  4. Refusals in words: a rejection with failInfo bits, a wrong shared secret, a tampered answer, an
//     answer for another transaction, an answer that does not echo the nonce.
//  5. `profile test` knows CMP: credentials checked with a general message that issues nothing.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { AsnConvert, BitString, OctetString } from '@peculiar/asn1-schema';
import { afterAll, describe, expect, it } from 'vitest';
import { PKIMessage } from '../../../main/pki/cmp/cmp-schema';
import { pbmValue, protectedPartOf } from '../../../main/pki/cmp/cmp-protection';
import { runEnroller } from '../../helpers/cli';
import { makeCsr } from '../../helpers/csr';
import { tempDir } from '../../helpers/station';
import {
  CMP_SECRET,
  cmpTestPki,
  startCmpServer,
  type CmpServer,
  type CmpServerOptions,
} from '../../support/cmp-server';
import { openssl } from '../../helpers/openssl';

const pki = cmpTestPki();
const secrets = tempDir('enroller-cmp-secrets-');
const file = (name: string, text: string) => (
  fs.writeFileSync(path.join(secrets, name), text, { mode: 0o600 }),
  path.join(secrets, name)
);
const pass = file('pass', 'cmp station passphrase');
const servers: CmpServer[] = [];
const proxies: http.Server[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  for (const p of proxies) p.close();
});

/** A CSR file for `id` and the mock's answer to it: a certificate from the test CA for the CSR's key. */
async function csrFor(id: string): Promise<{ dir: string; certFile: string }> {
  const dir = tempDir();
  const der = await makeCsr({ name: `CN=${id}` });
  fs.writeFileSync(path.join(dir, `${id}.der`), der);
  const base64 = Buffer.from(der).toString('base64');
  const pem = `-----BEGIN CERTIFICATE REQUEST-----\n${base64}\n-----END CERTIFICATE REQUEST-----\n`;
  return { dir, certFile: pki.issueFor(pem, id) };
}

async function mock(options: Omit<CmpServerOptions, 'rspCert'> & { rspCert: string }): Promise<CmpServer> {
  const server = await startCmpServer(pki, options);
  servers.push(server);
  return server;
}

/** A station with a CMP profile named `profile` towards `url`. */
async function station(url: string, protection: 'secret' | 'signature', secret = CMP_SECRET): Promise<string> {
  const dir = tempDir();
  expect((await runEnroller(dir, 'ca', 'init', '--passphrase-file', pass)).code).toBe(0);
  const credentials =
    protection === 'secret'
      ? ['--secret-file', file(`secret-${crypto.randomUUID()}`, secret), '--reference', 'line-7']
      : ['--client-cert', pki.clientCert, '--client-key', pki.clientKey];
  const added = await runEnroller(
    dir,
    ...['profile', 'add', 'factory-cmp', '--cmp', url, ...credentials],
    ...['--recipient', 'CN=CMP Test CA', '--trust', pki.caFile, '--passphrase-file', pass],
  );
  expect(added.code, added.stderr + JSON.stringify(added.lines)).toBe(0);
  return dir;
}

const enroll = (dir: string, csrs: string) =>
  runEnroller(
    dir,
    ...['enroll', '--csr', csrs, '--profile', 'factory-cmp', '--out-dir', path.join(dir, 'out')],
    ...['--passphrase-file', pass],
  );

describe('CMP against the openssl cmp mock server', () => {
  it('enrolls with MAC protection (PBM) and confirms the certificate (certConf → pkiConf)', async () => {
    const { dir: csrs, certFile } = await csrFor('cmp-pbm-1');
    const server = await mock({ rspCert: certFile, protection: 'secret' });
    const proxy = await proxyTo(server.url);
    const dir = await station(proxy.url, 'secret');
    const run = await enroll(dir, csrs);
    expect(run.lines[0], JSON.stringify(run.lines) + server.log()).toMatchObject({
      status: 'issued',
      deviceId: 'cmp-pbm-1',
    });
    const written = String(run.lines[0]!.certFile);
    expect(fs.readFileSync(written, 'utf8')).toContain(fs.readFileSync(certFile, 'utf8').trim().split('\n')[1]!);
    expect((await openssl(['verify', '-CAfile', pki.caFile, written])).stdout).toContain('OK');
    expect(proxy.kinds).toEqual(['p10cr', 'certConf']);
  });

  it('skips certConf where the server grants implicit confirmation', async () => {
    const { dir: csrs, certFile } = await csrFor('cmp-implicit-1');
    const server = await mock({ rspCert: certFile, protection: 'secret', grantImplicitConfirm: true });
    const proxy = await proxyTo(server.url);
    const run = await enroll(await station(proxy.url, 'secret'), csrs);
    expect(run.lines[0], server.log()).toMatchObject({ status: 'issued' });
    expect(proxy.kinds).toEqual(['p10cr']);
  });

  it("enrolls with signature protection, the server's signatures checked against --trust", async () => {
    const { dir: csrs, certFile } = await csrFor('cmp-sig-1');
    const server = await mock({ rspCert: certFile, protection: 'signature' });
    const run = await enroll(await station(server.url, 'signature'), csrs);
    expect(run.lines[0], JSON.stringify(run.lines) + server.log()).toMatchObject({ status: 'issued' });
  });

  for (const rounds of [1, 3]) {
    it(`waits through ${rounds} round(s) of polling: pending in the queue, issued by queue sync`, async () => {
      const { dir: csrs, certFile } = await csrFor(`cmp-poll-${rounds}`);
      const server = await mock({ rspCert: certFile, protection: 'secret', pollCount: rounds, checkAfter: 1 });
      const proxy = await proxyTo(server.url);
      const dir = await station(proxy.url, 'secret');
      const first = await enroll(dir, csrs);
      expect(first.lines[0], JSON.stringify(first.lines) + server.log()).toMatchObject({ status: 'pending' });
      let last: Record<string, unknown> | undefined;
      for (let i = 0; i < rounds + 2 && last?.status !== 'issued'; i++) {
        await new Promise((r) => setTimeout(r, 1100));
        last = (await runEnroller(dir, 'queue', 'sync', '--passphrase-file', pass)).lines[0];
      }
      expect(last, JSON.stringify(last)).toMatchObject({ status: 'issued', deviceId: `cmp-poll-${rounds}` });
      expect(proxy.kinds).toEqual(['p10cr', ...Array<string>(rounds).fill('pollReq'), 'certConf']);
      expect(fs.existsSync(path.join(dir, 'out', `cmp-poll-${rounds}.pem`))).toBe(true);
    }, 30_000);
  }

  it("refuses a CMP profile without the service's CA (--trust) or without protection", async () => {
    const dir = tempDir();
    expect((await runEnroller(dir, 'ca', 'init', '--passphrase-file', pass)).code).toBe(0);
    const secret = file('no-trust-secret', CMP_SECRET);
    const noTrust = await runEnroller(
      dir,
      ...['profile', 'add', 'no-trust', '--cmp', 'http://127.0.0.1:9/pkix/', '--secret-file', secret],
      ...['--passphrase-file', pass],
    );
    expect(noTrust.lines[0]).toMatchObject({ code: 'PROFILE_INVALID' });
    expect(String(noTrust.lines[0]!.message)).toContain('--trust');
    const unprotected = await runEnroller(
      dir,
      ...['profile', 'add', 'unprotected', '--cmp', 'http://127.0.0.1:9/pkix/', '--trust', pki.caFile],
    );
    expect(unprotected.lines[0]).toMatchObject({ code: 'PROFILE_INVALID' });
    expect(String(unprotected.lines[0]!.message)).toContain('--secret-file');
  });

  it('reports a rejection with every failInfo bit in words', async () => {
    const { dir: csrs, certFile } = await csrFor('cmp-rejected-1');
    // bit 2 (badRequest) + bit 9 (badPOP) + bit 19 (badCertTemplate)
    const failureBits = (1 << 2) | (1 << 9) | (1 << 19);
    const server = await mock({
      rspCert: certFile,
      protection: 'secret',
      pkiStatus: 2,
      failureBits,
      statusString: 'no such device',
    });
    const run = await enroll(await station(server.url, 'secret'), csrs);
    expect(run.lines[0]).toMatchObject({ status: 'failed', code: 'CMP_FAILURE' });
    for (const word of ['rejection', 'badRequest', 'badPOP', 'badCertTemplate', 'no such device'])
      expect(String(run.lines[0]!.message)).toContain(word);
  });

  it('refuses an answer when the shared secret is wrong', async () => {
    const { dir: csrs, certFile } = await csrFor('cmp-wrong-secret-1');
    const server = await mock({ rspCert: certFile, protection: 'secret' });
    const run = await enroll(await station(server.url, 'secret', 'not the shared secret'), csrs);
    expect(run.lines[0]).toMatchObject({ status: 'failed', code: 'CMP_PROTECTION_INVALID' });
    expect(fs.existsSync(path.join(csrs, 'out'))).toBe(false);
  });

  const tampered: Array<[string, (m: PKIMessage) => void, boolean, string]> = [
    [
      'a tampered answer',
      (m) => (m.header.senderNonce = new OctetString(crypto.randomBytes(16))),
      false,
      'CMP_PROTECTION_INVALID',
    ],
    [
      'an answer for another transaction',
      (m) => (m.header.transactionID = new OctetString(crypto.randomBytes(16))),
      true,
      'CMP_TRANSACTION_MISMATCH',
    ],
    [
      'an answer that does not echo the nonce',
      (m) => (m.header.recipNonce = new OctetString(crypto.randomBytes(16))),
      true,
      'CMP_NONCE_MISMATCH',
    ],
  ];
  for (const [what, change, reprotect, code] of tampered) {
    it(`refuses ${what}`, async () => {
      const { dir: csrs, certFile } = await csrFor(`cmp-${code.toLowerCase()}`);
      const server = await mock({ rspCert: certFile, protection: 'secret' });
      const proxy = await proxyTo(server.url, (der) => rewrite(der, change, reprotect));
      const run = await enroll(await station(proxy.url, 'secret'), csrs);
      expect(run.lines[0], JSON.stringify(run.lines)).toMatchObject({ status: 'failed', code });
    });
  }

  it('profile test checks the credentials with a general message that issues nothing', async () => {
    const { certFile } = await csrFor('cmp-test-1');
    const server = await mock({ rspCert: certFile, protection: 'secret' });
    const good = await runEnroller(
      await station(server.url, 'secret'),
      'profile',
      'test',
      'factory-cmp',
      '--passphrase-file',
      pass,
    );
    expect(good.lines[0], JSON.stringify(good.lines)).toMatchObject({ protocol: 'cmp', status: 'passed' });
    const steps = good.lines[0]!.steps as Array<{ step: string; status: string }>;
    expect(steps.find((s) => s.step === 'authentication')).toMatchObject({ status: 'ok' });
    const bad = await runEnroller(
      await station(server.url, 'secret', 'wrong secret'),
      ...['profile', 'test', 'factory-cmp', '--passphrase-file', pass],
    );
    expect(bad.lines[0]).toMatchObject({ status: 'failed' });
    const failed = (bad.lines[0]!.steps as Array<{ step: string; status: string; code?: string }>).find(
      (s) => s.step === 'authentication',
    );
    expect(failed).toMatchObject({ status: 'failed', code: 'CMP_PROTECTION_INVALID' });
  });
});

/** The answer with one header field changed; `reprotect`: its PBM made again with the secret (as a server would). */
function rewrite(der: Buffer, change: (m: PKIMessage) => void, reprotect: boolean): Buffer {
  const message = AsnConvert.parse(der, PKIMessage);
  if (!message.body.cp) return der; // only the certificate answer is changed
  change(message);
  let out = new Uint8Array(AsnConvert.serialize(message));
  if (reprotect) {
    const value = pbmValue(message.header.protectionAlg!, CMP_SECRET, protectedPartOf(out)!)!;
    message.protection = new BitString(value);
    out = new Uint8Array(AsnConvert.serialize(message));
  }
  return Buffer.from(out);
}

/**
 * A loopback HTTP proxy to the mock: it notes the body of every request (p10cr, certConf, pollReq …)
 * and passes the answer back, changed by `change` if given.
 */
async function proxyTo(target: string, change: (der: Buffer) => Buffer = (der) => der) {
  const kinds: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      kinds.push(bodyKind(AsnConvert.parse(body, PKIMessage)));
      const headers = { 'content-type': 'application/pkixcmp', 'content-length': body.length };
      const forward = http.request(target, { method: 'POST', headers }, (upstream) => {
        const parts: Buffer[] = [];
        upstream.on('data', (c: Buffer) => parts.push(c));
        upstream.on('end', () => {
          const answer = change(Buffer.concat(parts));
          res.writeHead(upstream.statusCode ?? 500, {
            'content-type': 'application/pkixcmp',
            'content-length': answer.length,
          });
          res.end(answer);
        });
      });
      forward.end(body);
    });
  });
  proxies.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/pkix/`, kinds };
}

function bodyKind(message: PKIMessage): string {
  return Object.entries(message.body).find(([, value]) => value !== undefined)?.[0] ?? 'none';
}
