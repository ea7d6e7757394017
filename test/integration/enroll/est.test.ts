// The EST client against the EST test server over real TLS on 127.0.0.1.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EstEnroller, type EstOptions } from '../../../main/enroll/est/est-enroller';
import { x509 } from '../../../main/pki/crypto';
import { intakeCsr } from '../../../main/pki/csr-intake';
import { makeCsr, P256, RSA2048 } from '../../helpers/csr';
import { memoryModem } from '../../helpers/modem';
import { startEstServer, type EstServer, type EstServerOptions } from '../../support/est-server';
import { privateKeyPem, testCa } from '../../support/test-pki';

let server: EstServer;
beforeAll(async () => {
  server = await startEstServer({ user: 'station', password: 'est-secret' });
});
afterAll(() => server.close());

const client = (extra: Partial<EstOptions> = {}) =>
  new EstEnroller({
    baseUrl: server.url,
    trust: { anchorsPem: server.tlsCaPem },
    basicAuth: { user: 'station', password: 'est-secret' },
    timeoutMs: 5000,
    ...extra,
  });

async function issued(result: Awaited<ReturnType<EstEnroller['enroll']>>): Promise<x509.X509Certificate> {
  if (result.status !== 'issued') throw new Error(`expected issued, got ${result.status}`);
  return result.certificate;
}

describe('EST client: happy paths', () => {
  it('fetches /cacerts and enrolls EC P-256 and RSA-2048 CSRs with Basic auth', async () => {
    const [ca] = await client().caCerts();
    expect(ca?.subject).toBe('CN=EST Test Issuing CA');
    for (const alg of [P256, RSA2048]) {
      const csr = await makeCsr({ alg, name: 'CN=est-device' });
      const cert = await issued(await client().enroll(csr, { deviceId: 'est-device' }));
      expect(cert.subject).toBe('CN=est-device');
      expect(
        Buffer.from(cert.publicKey.rawData).equals(
          Buffer.from(new x509.Pkcs10CertificateRequest(csr).publicKey.rawData),
        ),
      ).toBe(true);
    }
    const posts = server.requests.filter((r) => r.path.endsWith('simpleenroll'));
    expect(posts.every((r) => r.contentType === 'application/pkcs10' && r.authorized === 'basic')).toBe(true);
  });

  it('authenticates with a TLS client certificate (the station RA) and uses a label', async () => {
    const ra = await server.clientIdentity();
    const enroller = new EstEnroller({
      baseUrl: server.url,
      label: 'line3',
      trust: { anchorsPem: server.tlsCaPem },
      clientIdentity: ra,
    });
    await issued(await enroller.enroll(await makeCsr(), { deviceId: 'd' }));
    expect(server.requests.findLast((r) => r.path.endsWith('simpleenroll'))).toMatchObject({
      authorized: 'certificate',
      label: 'line3',
      path: '/.well-known/est/line3/simpleenroll',
    });
  });

  it.each(['none', '76-crlf'] as const)('reads base64 wrapped as %s', async (wrapping) => {
    const other = await startEstServer({ user: 'u', password: 'p', wrapping });
    try {
      const enroller = new EstEnroller({
        baseUrl: other.url,
        trust: { anchorsPem: other.tlsCaPem },
        basicAuth: { user: 'u', password: 'p' },
      });
      expect((await issued(await enroller.enroll(await makeCsr(), { deviceId: 'd' }))).subject).toBe('CN=device-1');
    } finally {
      await other.close();
    }
  });

  it('re-enrolls with the existing certificate (simplereenroll)', async () => {
    const { webcrypto } = await import('../../../main/pki/crypto');
    const pair = await webcrypto.subtle.generateKey(P256, true, ['sign', 'verify']);
    const first = await issued(await client().enroll(await makeCsr({ keys: pair as never }), { deviceId: 'd' }));
    const keyPem = await privateKeyPem(pair);
    const renewed = await issued(
      await new EstEnroller({ baseUrl: server.url, trust: { anchorsPem: server.tlsCaPem } }).enroll(await makeCsr(), {
        deviceId: 'd',
        renew: { certificatePem: first.toString('pem'), keyPem },
      }),
    );
    expect(renewed.serialNumber).not.toBe(first.serialNumber);
    expect(server.requests.findLast((r) => r.path.endsWith('reenroll'))).toMatchObject({
      path: '/.well-known/est/simplereenroll',
      authorized: 'certificate',
    });
  });

  it('turns 202 + Retry-After into pending, and poll() gets the certificate later', async () => {
    server.pendingTimes = 1;
    const result = await client().enroll(await makeCsr(), { deviceId: 'd' });
    expect(result).toMatchObject({ status: 'pending', retryAfterSeconds: 1 });
    if (result.status !== 'pending') return;
    expect((await issued(await client().poll(result.transaction, { deviceId: 'd' }))).subject).toBe('CN=device-1');
  });

  it('enrolls a CSR born in the nRF91 simulator, end to end', async () => {
    const { modem } = memoryModem();
    await modem.connect();
    const identity = await modem.identify();
    await modem.setFunctionalMode(4);
    const key = await modem.generateKey(16842753, `CN=nrf-${identity.imei}`, identity.deviceUuid);
    const accepted = await intakeCsr(key.csr.der);
    const cert = await issued(await client().enroll(accepted.der, { deviceId: `nrf-${identity.imei}` }));
    expect(cert.subject).toBe(`CN=nrf-${identity.imei}`);
    expect(Buffer.from(cert.publicKey.rawData).equals(Buffer.from(key.csr.publicKeySpki))).toBe(true);
  });

  it('reads /csrattrs and /serverkeygen (flagged lower assurance)', async () => {
    // This server asks nothing of a CSR: 204 No Content, as libest answers when none are configured.
    expect((await client().csrAttributes()).length).toBe(0);
    expect(await client().csrRequirements()).toBeUndefined();
    const result = await client().serverKeyGen(await makeCsr(), { deviceId: 'd' });
    expect(result.lowerAssurance).toBe(true);
    expect(result.privateKeyPkcs8.length).toBeGreaterThan(100);
    expect(result.certificate.subject).toBe('CN=device-1');
  });
});

describe('EST client: negative matrix (each a coded error, no credentials leaked)', () => {
  it.each([
    [
      'an untrusted server certificate',
      async () => ({
        options: { trust: { anchorsPem: (await testCa('EST Test TLS Root')).certificate.toString('pem') } },
      }),
      'ENROLL_TLS_UNTRUSTED',
    ],
    [
      'a pinned fingerprint that does not match',
      async () => ({ options: { trust: { anchorsPem: server.tlsCaPem, fingerprintSha256: 'ab'.repeat(32) } } }),
      'ENROLL_TLS_FINGERPRINT',
    ],
  ] as const)('%s', async (_name, setup, code) => {
    const before = server.requests.length;
    const { options } = await setup();
    await expect(client(options).enroll(await makeCsr(), { deviceId: 'd' })).rejects.toMatchObject({ code });
    expect(server.requests.length).toBe(before); // not one HTTP byte reached the server
  });

  it.each([
    ['wrong hostname', { tlsNames: [{ type: 'dns', value: 'other.example' }] }, 'ENROLL_TLS_HOSTNAME'],
    ['expired server certificate', { tlsExpired: true }, 'ENROLL_TLS_EXPIRED'],
    ['a TLS 1.0-only server', { tlsOnly: 'TLSv1' }, 'ENROLL_TLS_VERSION'],
  ] as const)('%s', async (_name, serverOptions, code) => {
    const bad = await startEstServer({
      user: 'station',
      password: 'est-secret',
      ...(serverOptions as EstServerOptions),
    });
    try {
      const enroller = new EstEnroller({
        baseUrl: bad.url,
        trust: { anchorsPem: bad.tlsCaPem },
        basicAuth: { user: 'station', password: 'est-secret' },
      });
      await expect(enroller.enroll(await makeCsr(), { deviceId: 'd' })).rejects.toMatchObject({ code });
      expect(bad.requests).toEqual([]);
    } finally {
      await bad.close();
    }
  });

  it('a wrong password', async () => {
    await expect(
      client({ basicAuth: { user: 'station', password: 'wrong' } }).enroll(await makeCsr(), { deviceId: 'd' }),
    ).rejects.toMatchObject({ code: 'ENROLL_UNAUTHORIZED' });
  });

  it('Basic auth over plain HTTP is refused before any request', () => {
    expect(
      () => new EstEnroller({ baseUrl: 'http://127.0.0.1:1', trust: {}, basicAuth: { user: 'a', password: 'b' } }),
    ).toThrowError(expect.objectContaining({ code: 'ENROLL_INSECURE_AUTH' }));
  });

  it.each([
    ['500', 'ENROLL_SERVER_ERROR'],
    ['garbage', 'ENROLL_BAD_RESPONSE'],
    ['truncated', 'ENROLL_BAD_RESPONSE'],
    ['wrong-key', 'ENROLL_WRONG_KEY'],
    ['wrong-ca', 'ENROLL_UNTRUSTED_ISSUER'],
  ] as const)('a server answering %s', async (fault, code) => {
    server.fault = fault;
    try {
      await expect(client().enroll(await makeCsr(), { deviceId: 'd' })).rejects.toMatchObject({ code });
    } finally {
      server.fault = 'none';
    }
  });

  it('a slow server past the deadline, and a cancelled request', async () => {
    server.fault = 'slow';
    try {
      const started = Date.now();
      await expect(client({ timeoutMs: 500 }).enroll(await makeCsr(), { deviceId: 'd' })).rejects.toMatchObject({
        code: 'ENROLL_TIMEOUT',
      });
      expect(Date.now() - started).toBeLessThan(3000);
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);
      await expect(
        client().enroll(await makeCsr(), { deviceId: 'd', signal: controller.signal }),
      ).rejects.toMatchObject({ code: 'ENROLL_ABORTED' });
    } finally {
      server.fault = 'none';
    }
  });

  it('a service that is not there', async () => {
    await expect(
      new EstEnroller({ baseUrl: 'https://127.0.0.1:9', trust: { anchorsPem: server.tlsCaPem } }).caCerts(),
    ).rejects.toMatchObject({ code: 'ENROLL_UNREACHABLE' });
  });
});
