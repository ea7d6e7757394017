// A conformant EST test server (RFC 7030 / RFC 8951) on 127.0.0.1 — the stand-in for a real
// provisioning service, since none is packaged for Debian or npm. Checked against an independent
// client (strongSwan `pki --est/--estca`) in test/integration/enroll/est-server-conformance.test.ts.
// It is as strict as the strictest real server (PEERS.md §3), so a client that passes here passes
// there: a body must come with a Content-Length (never chunked: servers on the common C library
// answer `400 Content-Length is negative`), as base64 that is wrapped or ends in a newline (no raw
// DER, no bare single line), with Content-Type application/pkcs10 (415), for a Host it knows; TLS
// 1.2 only; 401 with WWW-Authenticate; in manual-approval mode the first request for a public key
// is answered 202 + Retry-After and the key is remembered, so the same key is issued when it comes
// back. Every refusal is recorded with its reason. It can also be told to behave badly (202s, 500,
// garbage, truncation, slowness, a wrong key).
import crypto from 'node:crypto';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { x509 } from '../../main/pki/crypto';
import { writeCertsOnly } from '../../main/pki/pkcs7';
import { EC, keys, privateKeyPem, RSA, signCertificate, testCa, type TestCa } from './test-pki';

export type EstFault = 'none' | '500' | 'garbage' | 'truncated' | 'wrong-key' | 'slow' | 'wrong-ca';
export type Wrapping = 'none' | '64-lf' | '76-crlf';

export interface EstServerOptions {
  readonly user?: string;
  readonly password?: string;
  /** Names in the TLS certificate (default: IP 127.0.0.1 and localhost). */
  readonly tlsNames?: x509.JsonGeneralNames;
  readonly tlsExpired?: boolean;
  /** Offer only this TLS version (e.g. 'TLSv1' to test refusal). */
  readonly tlsOnly?: 'TLSv1' | 'TLSv1.1';
  readonly wrapping?: Wrapping;
  /** One-time enrollment passwords for `user` (an enrollment bundle's pool): each works once. */
  readonly oneTimePasswords?: readonly string[];
  /** The TLS key: RSA by default, as strongSwan's client offers no ECDSA cipher suites. */
  readonly tlsKey?: 'rsa' | 'ec';
  /** Accept a request body that is one line of base64 with no final newline (strongSwan sends that). */
  readonly acceptUnwrappedBody?: boolean;
  /** Manual approval: every new public key is answered 202 once, and issued when it is sent again. */
  readonly manualApproval?: boolean;
  /** The Retry-After a 202 carries, in seconds (real servers: at least 60). */
  readonly retryAfterSeconds?: number;
  /** What /csrattrs answers (DER of CsrAttrs); 204 without (libest's default). Not enforced, as libest by default. */
  readonly csrAttributes?: Uint8Array;
}

export interface EstRefusal {
  readonly path: string;
  readonly status: number;
  readonly reason: string;
}

export interface EstServer {
  readonly url: string;
  readonly port: number;
  readonly tlsCaPem: string;
  readonly issuingCa: TestCa;
  readonly clientCa: TestCa;
  /** Answer the next this-many new public keys with 202; each is issued when its key comes back. */
  pendingTimes: number;
  /** Answer the next this-many enrollment requests with 503, as a front end does while its CA is busy. */
  busyTimes: number;
  /** Requests refused for their framing, type, host or credentials, with why. */
  readonly refusals: EstRefusal[];
  fault: EstFault;
  readonly requests: Array<{
    path: string;
    contentType: string | undefined;
    authorized: 'basic' | 'certificate' | 'none';
    label: string | undefined;
  }>;
  issuedCount: number;
  /** One-time passwords spent, in order. */
  readonly oneTimeUsed: string[];
  /** A client certificate the server accepts for authentication (an RA identity). */
  clientIdentity(): Promise<{ certificatePem: string; keyPem: string }>;
  close(): Promise<void>;
  /** Stops answering (the port is closed: "unreachable") and starts again on the same port and PKI. */
  goOffline(): Promise<void>;
  comeBack(): Promise<void>;
}

export async function startEstServer(options: EstServerOptions = {}): Promise<EstServer> {
  const tlsAlgorithm = options.tlsKey === 'ec' ? EC : RSA;
  const tlsCa = await testCa('EST Test TLS Root', tlsAlgorithm);
  const issuingCa = await testCa('EST Test Issuing CA');
  const clientCa = await testCa('EST Test Client CA');
  const otherCa = await testCa('Some Other CA');
  const tlsKeys = await keys(tlsAlgorithm);
  const tlsCert = await signCertificate(tlsCa, {
    subject: 'CN=est.test',
    publicKey: tlsKeys.publicKey,
    sans: options.tlsNames ?? [
      { type: 'ip', value: '127.0.0.1' },
      { type: 'dns', value: 'localhost' },
    ],
    serverAuth: true,
    ...(options.tlsExpired
      ? { notBefore: new Date(Date.now() - 10 * 86_400_000), notAfter: new Date(Date.now() - 86_400_000) }
      : {}),
  });
  const wrapping = options.wrapping ?? '64-lf';

  const unusedOneTime = new Set(options.oneTimePasswords ?? []);
  const state: EstServer = {
    oneTimeUsed: [],
    url: '',
    port: 0,
    tlsCaPem: tlsCa.certificate.toString('pem'),
    issuingCa,
    clientCa,
    pendingTimes: 0,
    busyTimes: 0,
    refusals: [],
    fault: 'none',
    requests: [],
    issuedCount: 0,
    async clientIdentity() {
      const pair = await keys();
      const cert = await signCertificate(clientCa, {
        subject: 'CN=station-ra',
        publicKey: pair.publicKey,
        clientAuth: true,
      });
      return { certificatePem: cert.toString('pem'), keyPem: await privateKeyPem(pair) };
    },
    close: async () => {
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    goOffline: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    comeBack: async () => {
      await new Promise<void>((resolve) => server.listen(state.port, '127.0.0.1', () => resolve()));
    },
  };

  const encode = (der: Uint8Array) => {
    const b64 = Buffer.from(der).toString('base64');
    if (wrapping === 'none') return b64;
    if (wrapping === '64-lf') return b64.replace(/.{64}/g, '$&\n');
    return b64.replace(/.{76}/g, '$&\r\n');
  };

  const server = https.createServer(
    {
      key: await privateKeyPem(tlsKeys),
      cert: tlsCert.toString('pem'),
      ca: [clientCa.certificate.toString('pem'), issuingCa.certificate.toString('pem')],
      requestCert: true,
      rejectUnauthorized: false,
      ...(options.tlsOnly
        ? { minVersion: options.tlsOnly, maxVersion: options.tlsOnly, ciphers: 'DEFAULT:@SECLEVEL=0' }
        : { minVersion: 'TLSv1.2' as const, maxVersion: 'TLSv1.2' as const }),
    },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => void handle(req, res, Buffer.concat(chunks)));
    },
  );

  /** Public keys answered 202 and not yet issued (manual approval remembers them). */
  const pendingKeys = new Set<string>();

  const refuse = (
    req: import('node:http').IncomingMessage,
    res: import('node:http').ServerResponse,
    status: number,
    reason: string,
    headers: Record<string, string> = {},
  ) => {
    state.refusals.push({ path: req.url ?? '', status, reason });
    res.writeHead(status, { 'Content-Type': 'text/plain', ...headers }).end(reason);
  };

  /** What a strict server refuses before it looks at the request itself; undefined when framed right. */
  function framingFault(req: import('node:http').IncomingMessage, body: Buffer): string | undefined {
    const host = req.headers.host ?? '';
    if (host !== `127.0.0.1:${state.port}` && host !== `localhost:${state.port}`) return `unknown Host "${host}"`;
    if (req.method !== 'POST') return undefined;
    // The C library reads the body by Content-Length only: a chunked body has none.
    if (req.headers['transfer-encoding'] !== undefined || req.headers['content-length'] === undefined)
      return 'Content-Length is negative';
    if (body.length > 0 && body[0] === 0x30) return 'the body is raw DER, not base64';
    // Wrapped lines, or one line ending in a newline, both contain one.
    if (!body.includes(0x0a) && !options.acceptUnwrappedBody)
      return 'the body is one line of base64 without a final newline';
    return undefined;
  }

  async function handle(
    req: import('node:http').IncomingMessage,
    res: import('node:http').ServerResponse,
    body: Buffer,
  ) {
    const match =
      /^\/\.well-known\/est(?:\/([A-Za-z0-9_-]+))?\/(cacerts|simpleenroll|simplereenroll|csrattrs|serverkeygen)$/.exec(
        req.url ?? '',
      );
    const socket = req.socket as TLSSocket;
    const peer = socket.getPeerCertificate();
    const certOk = socket.authorized && Boolean(peer?.raw);
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const presented = basic !== undefined ? Buffer.from(basic, 'base64').toString() : undefined;
    const oneTime =
      presented !== undefined &&
      options.user !== undefined &&
      presented.startsWith(`${options.user}:`) &&
      unusedOneTime.has(presented.slice(options.user.length + 1));
    const basicOk =
      (presented !== undefined &&
        options.user !== undefined &&
        options.password !== undefined &&
        presented === `${options.user}:${options.password}`) ||
      oneTime;
    state.requests.push({
      path: req.url ?? '',
      contentType: req.headers['content-type'],
      authorized: basicOk ? 'basic' : certOk ? 'certificate' : 'none',
      label: match?.[1],
    });
    const fault = framingFault(req, body);
    if (fault) return void refuse(req, res, 400, fault);
    if (!match) return void res.writeHead(404).end();
    const operation = match[2]!;
    if (operation === 'cacerts')
      return void send(res, writeCertsOnly([issuingCa.certificate]), 'application/pkcs7-mime');
    if (operation === 'csrattrs') {
      // libest with no attributes configured answers 204 No Content.
      if (!options.csrAttributes) return void res.writeHead(204).end();
      return void send(res, options.csrAttributes, 'application/csrattrs');
    }
    if (req.method !== 'POST') return void res.writeHead(405).end();
    if (!/^application\/pkcs10/i.test(req.headers['content-type'] ?? ''))
      return void refuse(req, res, 415, 'Content-Type must be application/pkcs10');
    // simplereenroll authenticates with the certificate being renewed; the rest with a password or an RA certificate.
    const authenticated = operation === 'simplereenroll' ? certOk : basicOk || certOk;
    if (!authenticated)
      return void refuse(req, res, 401, 'authentication required', { 'WWW-Authenticate': 'Basic realm="est"' });
    if (oneTime && operation !== 'cacerts') {
      unusedOneTime.delete(presented!.slice(options.user!.length + 1));
      state.oneTimeUsed.push(presented!.slice(options.user!.length + 1));
    }
    let csr: x509.Pkcs10CertificateRequest;
    try {
      csr = new x509.Pkcs10CertificateRequest(Buffer.from(body.toString('latin1').replace(/\s+/g, ''), 'base64'));
      if (!(await csr.verify())) throw new Error('bad signature');
    } catch {
      return void refuse(req, res, 400, 'the body is not a CSR with a valid signature');
    }
    if (state.busyTimes > 0) {
      state.busyTimes--;
      return void res.writeHead(503, { 'Content-Length': '4' }).end('busy');
    }
    const key = crypto.createHash('sha256').update(new Uint8Array(csr.publicKey.rawData)).digest('hex');
    if (!pendingKeys.has(key) && (options.manualApproval || state.pendingTimes > 0)) {
      if (!options.manualApproval) state.pendingTimes--;
      pendingKeys.add(key);
      return void res
        .writeHead(202, { 'Retry-After': String(options.retryAfterSeconds ?? 1), 'Content-Length': '0' })
        .end();
    }
    pendingKeys.delete(key);
    switch (state.fault) {
      case '500':
        return void res.writeHead(500).end('internal error');
      case 'garbage':
        return void res
          .writeHead(200, { 'Content-Type': 'application/pkcs7-mime; smime-type=certs-only' })
          .end('%%% this is not base64 %%%');
      case 'truncated': {
        res.writeHead(200, {
          'Content-Type': 'application/pkcs7-mime; smime-type=certs-only',
          'Content-Length': '4000',
        });
        res.write('MIIB');
        setTimeout(() => req.socket.destroy(), 20);
        return;
      }
      case 'slow':
        return void setTimeout(() => res.writeHead(500).end(), 10_000);
      default:
        break;
    }
    const signer = state.fault === 'wrong-ca' ? otherCa : issuingCa;
    const publicKey = state.fault === 'wrong-key' ? (await keys()).publicKey : csr.publicKey;
    if (operation === 'serverkeygen') {
      const pair = await keys();
      const cert = await signCertificate(signer, { subject: csr.subject, publicKey: pair.publicKey, clientAuth: true });
      const pkcs8 = Buffer.from(await crypto.webcrypto.subtle.exportKey('pkcs8', pair.privateKey as never));
      const boundary = 'est-boundary';
      res.writeHead(200, { 'Content-Type': `multipart/mixed; boundary=${boundary}` });
      return void res.end(
        `--${boundary}\r\nContent-Type: application/pkcs8\r\nContent-Transfer-Encoding: ` +
          `base64\r\n\r\n${encode(pkcs8)}\r\n` +
          `--${boundary}\r\nContent-Type: application/pkcs7-mime; ` +
          `smime-type=certs-only\r\nContent-Transfer-Encoding: ` +
          `base64\r\n\r\n${encode(writeCertsOnly([cert]))}\r\n--${boundary}--\r\n`,
      );
    }
    const issued = await signCertificate(signer, { subject: csr.subject, publicKey, clientAuth: true });
    state.issuedCount++;
    send(res, writeCertsOnly([issued]), 'application/pkcs7-mime; smime-type=certs-only');
  }

  function send(res: import('node:http').ServerResponse, der: Uint8Array, type: string) {
    // Content-Length, not chunked: strongSwan's client insists on it.
    const body = encode(der);
    res
      .writeHead(200, {
        'Content-Type': type,
        'Content-Transfer-Encoding': 'base64',
        'Content-Length': Buffer.byteLength(body),
      })
      .end(body);
  }

  server.on('tlsClientError', (error) => {
    if (process.env.EST_DEBUG) console.error('tlsClientError', error.message);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return Object.assign(state, { url: `https://127.0.0.1:${port}`, port });
}
