// The EST test server refuses what the strictest real EST servers refuse (PEERS.md §3), checked
// with raw HTTPS requests; and the station's client is framed the way those servers read it.
import https from 'node:https';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EstEnroller } from '../../../main/enroll/est/est-enroller';
import { encodeBase64Body } from '../../../main/enroll/base64-body';
import { makeCsr } from '../../helpers/csr';
import { startEstServer, type EstServer } from '../../support/est-server';

let server: EstServer;
beforeAll(async () => {
  server = await startEstServer({ user: 'station', password: 'pw' });
});
afterAll(() => server.close());

const basic = `Basic ${Buffer.from('station:pw').toString('base64')}`;

interface Raw {
  readonly body: string | Buffer;
  readonly headers?: Record<string, string>;
  /** Send the body chunked (no Content-Length), as Node does when you write() without one. */
  readonly chunked?: boolean;
}

function post({
  body,
  headers = {},
  chunked = false,
}: Raw): Promise<{ status: number; text: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const payload = Buffer.from(body);
    const req = https.request(
      `${server.url}/.well-known/est/simpleenroll`,
      {
        method: 'POST',
        ca: server.tlsCaPem,
        agent: false,
        // The chain is still checked; the name is not, so a wrong Host header can be sent.
        checkServerIdentity: () => undefined,
        headers: {
          'Content-Type': 'application/pkcs10',
          Authorization: basic,
          ...(chunked ? {} : { 'Content-Length': String(payload.length) }),
          ...headers,
        },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text, headers: res.headers }));
      },
    );
    req.on('error', reject);
    if (chunked) req.write(payload);
    req.end(chunked ? undefined : payload);
  });
}

describe('EST test server: the strict side of real servers', () => {
  it('answers a chunked body (no Content-Length) 400 "Content-Length is negative"', async () => {
    const csr = await makeCsr();
    expect(await post({ body: encodeBase64Body(csr), chunked: true })).toMatchObject({
      status: 400,
      text: 'Content-Length is negative',
    });
  });

  it('refuses single-line base64 without a final newline, and raw DER', async () => {
    const csr = await makeCsr();
    expect(await post({ body: Buffer.from(csr).toString('base64') })).toMatchObject({
      status: 400,
      text: expect.stringContaining('one line of base64'),
    });
    expect(await post({ body: Buffer.from(csr) })).toMatchObject({
      status: 400,
      text: expect.stringContaining('raw DER'),
    });
    // The same CSR as one line ending in a newline is read.
    expect((await post({ body: `${Buffer.from(csr).toString('base64')}\n` })).status).toBe(200);
  });

  it(
    'refuses a wrong Content-Type (415), a Host it does not know (400), and no credentials (401 + ' +
      'WWW-Authenticate)',
    async () => {
      const body = encodeBase64Body(await makeCsr());
      expect((await post({ body, headers: { 'Content-Type': 'application/octet-stream' } })).status).toBe(415);
      expect(await post({ body, headers: { Host: 'est.elsewhere.example' } })).toMatchObject({
        status: 400,
        text: expect.stringContaining('unknown Host'),
      });
      const anonymous = await post({ body, headers: { Authorization: '' } });
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers['www-authenticate']).toBe('Basic realm="est"');
    },
  );

  it('negotiates TLS 1.2 only: a TLS 1.3-only client is refused', async () => {
    const outcome = await new Promise<string>((resolve) => {
      const socket = tls.connect(
        { host: '127.0.0.1', port: server.port, ca: server.tlsCaPem, minVersion: 'TLSv1.3' },
        () => resolve('connected'),
      );
      socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    });
    expect(outcome).not.toBe('connected');
  });

  it(
    "the station's client is framed as the strict server reads it: Content-Length, wrapped base64 with a final " +
      'newline',
    async () => {
      const refusalsBefore = server.refusals.length;
      const client = new EstEnroller({
        baseUrl: server.url,
        trust: { anchorsPem: server.tlsCaPem },
        basicAuth: { user: 'station', password: 'pw' },
      });
      const result = await client.enroll(await makeCsr({ name: 'CN=framed' }), { deviceId: 'framed' });
      expect(result.status).toBe('issued');
      expect(server.refusals.slice(refusalsBefore)).toEqual([]);
      expect(encodeBase64Body(await makeCsr())).toMatch(/^([A-Za-z0-9+/]{64}\n)+[A-Za-z0-9+/=]{1,64}\n$/);
    },
  );
});

describe('EST test server in manual-approval mode: a pending request is remembered per public key', () => {
  it('202 + Retry-After per new key; the same key sent again is issued, another key waits its own turn', async () => {
    const manual = await startEstServer({
      user: 'station',
      password: 'pw',
      manualApproval: true,
      retryAfterSeconds: 60,
    });
    try {
      const client = new EstEnroller({
        baseUrl: manual.url,
        trust: { anchorsPem: manual.tlsCaPem },
        basicAuth: { user: 'station', password: 'pw' },
      });
      const first = await client.enroll(await makeCsr({ name: 'CN=one' }), { deviceId: 'one' });
      const second = await client.enroll(await makeCsr({ name: 'CN=two' }), { deviceId: 'two' });
      expect(first).toMatchObject({ status: 'pending', retryAfterSeconds: 60 });
      expect(second).toMatchObject({ status: 'pending', retryAfterSeconds: 60 });
      if (first.status !== 'pending' || second.status !== 'pending') return;
      // A fresh key never releases another's pending request.
      expect((await client.enroll(await makeCsr({ name: 'CN=three' }), { deviceId: 'three' })).status).toBe('pending');
      expect(manual.issuedCount).toBe(0);
      const issuedFirst = await client.poll(first.transaction, { deviceId: 'one' });
      const issuedSecond = await client.poll(second.transaction, { deviceId: 'two' });
      expect(issuedFirst.status === 'issued' && issuedFirst.certificate.subject).toBe('CN=one');
      expect(issuedSecond.status === 'issued' && issuedSecond.certificate.subject).toBe('CN=two');
      expect(manual.issuedCount).toBe(2);
    } finally {
      await manual.close();
    }
  });
});
