// The SCEP client against the real Debian scepserver (micromdm 2.1.0), in the suite's private
// network namespace.
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScepEnroller } from '../../../main/enroll/scep/scep-enroller';
import { x509 } from '../../../main/pki/crypto';
import { intakeCsr } from '../../../main/pki/csr-intake';
import { keyPair, makeCsr, P256, RSA2048 } from '../../helpers/csr';
import { memoryModem } from '../../helpers/modem';
import { startScepServer, type ScepServer } from '../../support/scep-server';
import { privateKeyPem } from '../../support/test-pki';

/** DER of the OID 2.16.840.1.113733.1.9.7 (SCEP transactionID), tag and length included. */
const TRANSACTION_ID_OID = Buffer.from('060a6086480186f845010907', 'hex');
const challenge = (value: string) => [new x509.ChallengePasswordAttribute(value)];
let server: ScepServer;
let approving: ScepServer;
let rejecting: ScepServer;
beforeAll(async () => {
  [server, approving, rejecting] = await Promise.all([
    startScepServer({ challenge: 's3cret' }),
    startScepServer({ verifier: 'approve' }),
    startScepServer({ verifier: 'reject' }),
  ]);
});
afterAll(async () => {
  await Promise.all([server, approving, rejecting].map((s) => s?.stop()));
});

async function issued(result: Awaited<ReturnType<ScepEnroller['enroll']>>) {
  if (result.status !== 'issued') throw new Error(`expected issued, got ${result.status}`);
  return result.certificate;
}

describe('SCEP client against micromdm scepserver', () => {
  it('reads GetCACaps and GetCACert, and pins the CA by fingerprint', async () => {
    const client = new ScepEnroller({ url: server.url });
    expect([...(await client.capabilities())]).toEqual(expect.arrayContaining(['AES', 'SHA-256', 'POSTPKIOPERATION']));
    const [ca] = await client.caCerts();
    expect(ca?.toString('pem').replace(/\s/g, '')).toBe(server.caPem.replace(/\s/g, ''));
    const pin = crypto.createHash('sha256').update(new Uint8Array(ca!.rawData)).digest('hex');
    await expect(new ScepEnroller({ url: server.url, caFingerprintSha256: pin }).caCerts()).resolves.toHaveLength(1);
    await expect(
      new ScepEnroller({ url: server.url, caFingerprintSha256: 'ab'.repeat(32) }).caCerts(),
    ).rejects.toMatchObject({ code: 'ENROLL_UNTRUSTED_ISSUER' });
  });

  it('enrolls an RSA-2048 CSR carrying the challenge password', async () => {
    const csr = await makeCsr({ alg: RSA2048, name: 'CN=scep-device', attributes: challenge('s3cret') });
    const cert = await issued(await new ScepEnroller({ url: server.url }).enroll(csr, { deviceId: 'scep-device' }));
    expect(cert.subject).toContain('CN=scep-device');
    expect(
      Buffer.from(cert.publicKey.rawData).equals(Buffer.from(new x509.Pkcs10CertificateRequest(csr).publicKey.rawData)),
    ).toBe(true);
    expect(
      await cert.verify({ publicKey: new x509.X509Certificate(server.caPem).publicKey, signatureOnly: true }),
    ).toBe(true);
  });

  // micromdm 2.1.0 hands concurrent PKCSReqs the same serial and refuses one (badRequest): one
  // enroller (a profile, shared by a batch or a sync) sends its requests one at a time.
  it('enrolls six CSRs started at once, each issued with its own serial', async () => {
    const enroller = new ScepEnroller({ url: server.url });
    const csrs = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        makeCsr({ alg: RSA2048, name: `CN=burst-${i}`, attributes: challenge('s3cret') }),
      ),
    );
    const certificates = await Promise.all(
      csrs.map(async (csr, i) => issued(await enroller.enroll(csr, { deviceId: `burst-${i}` }))),
    );
    expect(new Set(certificates.map((c) => c.serialNumber)).size).toBe(6);
    expect(certificates.map((c) => c.subject)).toEqual(csrs.map((_, i) => expect.stringContaining(`CN=burst-${i}`)));
  });

  // micromdm 2.1.0 still checks the challenge password on RenewalReq (its log: "invalid challenge"
  // without one), so the renewal CSR carries it too.
  it('re-enrolls an RSA device with RenewalReq signed by its current certificate', async () => {
    const pair = await keyPair(RSA2048);
    const first = await issued(
      await new ScepEnroller({ url: server.url }).enroll(
        await makeCsr({ alg: RSA2048, keys: pair, name: 'CN=renew-me', attributes: challenge('s3cret') }),
        { deviceId: 'renew-me' },
      ),
    );
    const keyPem = await privateKeyPem(pair as unknown as CryptoKeyPair);
    const renewed = await issued(
      await new ScepEnroller({ url: server.url }).enroll(
        await makeCsr({ alg: RSA2048, name: 'CN=renew-me', attributes: challenge('s3cret') }),
        { deviceId: 'renew-me', renew: { certificatePem: first.toString('pem'), keyPem } },
      ),
    );
    expect(renewed.serialNumber).not.toBe(first.serialNumber);
  });

  // micromdm 2.1.0 copies the CSR's signature algorithm (ECDSA) into the certificate template and
  // then fails to sign it with its RSA-only CA: EC device keys cannot be enrolled over this SCEP
  // server at all. The station reports it as a coded refusal; EC devices use EST or the local CA.
  it('reports the real server refusing an EC P-256 CSR as a coded failure', async () => {
    const csr = await makeCsr({ alg: P256, attributes: challenge('s3cret') });
    await expect(new ScepEnroller({ url: server.url }).enroll(csr, { deviceId: 'ec-device' })).rejects.toMatchObject({
      code: 'SCEP_FAILURE',
    });
  });

  it('decodes a wrong challenge password into a plain failInfo sentence', async () => {
    const csr = await makeCsr({ attributes: challenge('wrong') });
    await expect(new ScepEnroller({ url: server.url }).enroll(csr, { deviceId: 'd' })).rejects.toMatchObject({
      code: 'SCEP_FAILURE',
      message: expect.stringContaining('badRequest'),
    });
  });

  it('uses the operator-approval hook in place of a challenge: approved is issued, refused is coded', async () => {
    const csr = await makeCsr({ alg: RSA2048, name: 'CN=approved' });
    const cert = await issued(await new ScepEnroller({ url: approving.url }).enroll(csr, { deviceId: 'approved' }));
    expect(cert.subject).toContain('CN=approved');
    await expect(
      new ScepEnroller({ url: rejecting.url }).enroll(await makeCsr({ alg: RSA2048 }), { deviceId: 'x' }),
    ).rejects.toMatchObject({ code: 'SCEP_FAILURE' });
  });

  it(
    'carries an nRF91 CSR (station-signed envelope) to the server, which hands it to the approval hook and then ' +
      'refuses its EC key',
    async () => {
      const { modem } = memoryModem();
      await modem.connect();
      const identity = await modem.identify();
      await modem.setFunctionalMode(4);
      const key = await modem.generateKey(16842753, `CN=nrf-${identity.imei}`, identity.deviceUuid);
      const csr = (await intakeCsr(key.csr.der)).der;
      await expect(
        new ScepEnroller({ url: approving.url }).enroll(csr, { deviceId: `nrf-${identity.imei}` }),
      ).rejects.toMatchObject({ code: 'SCEP_FAILURE' });
      const fs = await import('node:fs');
      const received = fs.readFileSync(`${approving.depot}/../last.csr`);
      expect(Buffer.from(received).equals(Buffer.from(csr))).toBe(true); // the envelope opened: the CSR arrived intact
    },
  );

  it('ignores replayed replies (nonce or transaction mismatch) and replies signed by another CA', async () => {
    // A loopback proxy in front of the real server that can hand back an earlier reply.
    let recorded: Buffer | undefined;
    let mode: 'record' | 'replay' | 'tamper' = 'record';
    const proxy = http.createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const target = server.url;
      const upstream = await fetch(`${target}${req.url!.slice(req.url!.indexOf('?'))}`, {
        method: req.method!,
        ...(req.method === 'POST' ? { body: Buffer.concat(chunks) } : {}),
        headers: { 'Content-Type': req.headers['content-type'] ?? '' },
      });
      let body: Buffer = Buffer.from(await upstream.arrayBuffer());
      if (req.url?.includes('PKIOperation')) {
        if (mode === 'record') recorded = body;
        else if (mode === 'replay') body = recorded!;
        else {
          // Change one signed byte (inside the transactionID attribute): the CA's signature breaks.
          // Find the attribute by its OID first: the same two bytes can occur by chance in the
          // unsigned certificates the reply carries, and a change there rightly goes unnoticed.
          const oid = body.indexOf(TRANSACTION_ID_OID);
          const at = body.indexOf(Buffer.from([0x13, 0x40]), oid) + 2; // PrintableString, 64 hex chars
          if (oid < 0) throw new Error('The SCEP reply carries no transactionID attribute.');
          body = Buffer.from(body);
          body[at] = body[at] === 0x61 ? 0x62 : 0x61;
        }
      }
      res.writeHead(upstream.status, { 'Content-Type': upstream.headers.get('content-type') ?? '' }).end(body);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/scep`;
    try {
      const csr = await makeCsr({ alg: RSA2048, attributes: challenge('s3cret') });
      await issued(await new ScepEnroller({ url }).enroll(csr, { deviceId: 'd' }));
      mode = 'replay';
      await expect(new ScepEnroller({ url }).enroll(csr, { deviceId: 'd' })).rejects.toMatchObject({
        code: 'SCEP_NONCE_MISMATCH',
      });
      await expect(
        new ScepEnroller({ url }).enroll(await makeCsr({ alg: RSA2048, attributes: challenge('s3cret') }), {
          deviceId: 'd',
        }),
      ).rejects.toMatchObject({ code: 'SCEP_TRANSACTION_MISMATCH' });
      mode = 'tamper';
      await expect(
        new ScepEnroller({ url }).enroll(await makeCsr({ alg: RSA2048, attributes: challenge('s3cret') }), {
          deviceId: 'd',
        }),
      ).rejects.toMatchObject({ code: 'SCEP_SIGNATURE_INVALID' });
    } finally {
      await new Promise<void>((r) => proxy.close(() => r()));
    }
  });

  it('reports an unreachable server and a server that answers garbage', async () => {
    await expect(new ScepEnroller({ url: 'http://127.0.0.1:9/scep', timeoutMs: 2000 }).caCerts()).rejects.toMatchObject(
      { code: 'ENROLL_UNREACHABLE' },
    );
    await expect(new ScepEnroller({ url: `${server.url.replace('/scep', '/nope')}` }).caCerts()).rejects.toMatchObject({
      code: 'ENROLL_REJECTED',
    });
  });
});
