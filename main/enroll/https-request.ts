// One HTTPS request with the station's rules: explicit trust anchors (never the OS store by
// default), TLS 1.2 or newer, the hostname checked, an optional pinned fingerprint, a deadline,
// a cancel path, a size cap — and every failure mapped to a stable code.
import crypto from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { RequestOptions } from 'node:https';
import type { PeerCertificate } from 'node:tls';
import { EnrollerError } from '../../shared/errors';
import { networkModules } from './network-modules';

export interface TlsTrust {
  /** PEM trust anchors for the server's certificate. */
  readonly anchorsPem?: string;
  /** SHA-256 of the server's (leaf) certificate, hex, colons optional: pinned. */
  readonly fingerprintSha256?: string;
}

export interface ClientIdentity {
  readonly certificatePem: string;
  readonly keyPem: string;
}

export interface HttpRequest {
  readonly method: 'GET' | 'POST';
  readonly url: URL;
  readonly headers?: Record<string, string>;
  readonly body?: string | Uint8Array;
  readonly trust?: TlsTrust;
  readonly clientIdentity?: ClientIdentity;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  readonly maxBytes?: number;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

const TLS_CODES: Record<
  string,
  {
    code: 'ENROLL_TLS_UNTRUSTED' | 'ENROLL_TLS_HOSTNAME' | 'ENROLL_TLS_EXPIRED' | 'ENROLL_TLS_VERSION';
    sentence: string;
  }
> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: {
    code: 'ENROLL_TLS_UNTRUSTED',
    sentence: "The server's certificate is self-signed and not among this profile's trust anchors.",
  },
  SELF_SIGNED_CERT_IN_CHAIN: {
    code: 'ENROLL_TLS_UNTRUSTED',
    sentence: "The server's certificate chains to a root this profile does not trust.",
  },
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: {
    code: 'ENROLL_TLS_UNTRUSTED',
    sentence: "The server's certificate is not signed by a CA this profile trusts.",
  },
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: {
    code: 'ENROLL_TLS_UNTRUSTED',
    sentence: "The server's certificate is not signed by a CA this profile trusts.",
  },
  ERR_TLS_CERT_ALTNAME_INVALID: {
    code: 'ENROLL_TLS_HOSTNAME',
    sentence: "The server's certificate is for a different host name than the profile's URL.",
  },
  CERT_HAS_EXPIRED: { code: 'ENROLL_TLS_EXPIRED', sentence: "The server's certificate has expired." },
  CERT_NOT_YET_VALID: {
    code: 'ENROLL_TLS_EXPIRED',
    sentence: "The server's certificate is not valid yet (check this station's clock).",
  },
  ERR_SSL_UNSUPPORTED_PROTOCOL: {
    code: 'ENROLL_TLS_VERSION',
    sentence: 'The server offers only TLS older than 1.2, which the station refuses.',
  },
  ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION: {
    code: 'ENROLL_TLS_VERSION',
    sentence: 'The server offers only TLS older than 1.2, which the station refuses.',
  },
  ERR_SSL_WRONG_VERSION_NUMBER: {
    code: 'ENROLL_TLS_VERSION',
    sentence: 'The server does not speak TLS 1.2 or newer on this port.',
  },
};

export async function httpsRequest(request: HttpRequest): Promise<HttpResponse> {
  const maxBytes = request.maxBytes ?? 1024 * 1024;
  const { http, https } = await networkModules();
  const tlsSettings = request.url.protocol === 'https:' ? await tlsOptions(request.trust, request.clientIdentity) : {};
  return new Promise((resolve, reject) => {
    if (request.signal?.aborted) return reject(new EnrollerError('ENROLL_ABORTED', 'The request was cancelled.'));
    // Always framed by Content-Length, never chunked: EST servers on the common C library read the
    // body by its length and answer a chunked one with `400 Content-Length is negative`.
    const body = request.body === undefined ? undefined : Buffer.from(request.body);
    const options: RequestOptions = {
      method: request.method,
      headers: { ...request.headers, ...(body ? { 'Content-Length': String(body.length) } : {}) },
      timeout: request.timeoutMs,
      ...tlsSettings,
    };
    const client = request.url.protocol === 'https:' ? https : http;
    const req = client.request(request.url, options, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= maxBytes) return void chunks.push(chunk);
        req.destroy(new EnrollerError('ENROLL_BAD_RESPONSE', `The server's answer is larger than ${maxBytes} bytes.`));
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      const truncated = 'The server closed the connection in the middle of its answer (truncated).';
      res.on('aborted', () => reject(new EnrollerError('ENROLL_BAD_RESPONSE', truncated)));
      res.on('error', (error) => reject(mapError(error, request)));
    });
    const onAbort = () => req.destroy(new EnrollerError('ENROLL_ABORTED', 'The request was cancelled.'));
    request.signal?.addEventListener('abort', onAbort, { once: true });
    const late = `The server did not answer within ${request.timeoutMs / 1000} s.`;
    req.on('timeout', () => req.destroy(new EnrollerError('ENROLL_TIMEOUT', late)));
    req.on('error', (error) => reject(mapError(error, request)));
    req.on('close', () => request.signal?.removeEventListener('abort', onAbort));
    req.end(body);
  });
}

/** TLS 1.2+, the profile's own trust anchors, the host name checked, and a pinned fingerprint where given. */
export async function tlsOptions(
  trust: TlsTrust | undefined,
  identity: ClientIdentity | undefined,
): Promise<RequestOptions> {
  const { tls } = await networkModules();
  const pin = trust?.fingerprintSha256?.replace(/:/g, '').toLowerCase();
  return {
    minVersion: 'TLSv1.2',
    rejectUnauthorized: true,
    ...(trust?.anchorsPem ? { ca: trust.anchorsPem } : {}),
    ...(identity ? { cert: identity.certificatePem, key: identity.keyPem } : {}),
    agent: false,
    checkServerIdentity: (host: string, cert: PeerCertificate) => {
      const hostError = tls.checkServerIdentity(host, cert);
      if (hostError) return hostError;
      if (pin && crypto.createHash('sha256').update(cert.raw).digest('hex') !== pin) {
        return Object.assign(new Error('pinned fingerprint mismatch'), { code: 'PIN_MISMATCH' });
      }
      return undefined;
    },
  };
}

function mapError(error: Error & { code?: string }, request: HttpRequest): EnrollerError {
  return connectionError(error, request.url);
}

/** A failed connection (TCP or TLS) to `url` as a coded error that says which it was. */
export function connectionError(error: Error & { code?: string }, url: URL): EnrollerError {
  if (error instanceof EnrollerError) return error;
  const where = { url: url.origin, cause: error.code ?? error.message };
  const tlsCode = error.code ? TLS_CODES[error.code] : undefined;
  if (tlsCode) return new EnrollerError(tlsCode.code, tlsCode.sentence, where);
  // Any other X.509 verification failure (CERT_SIGNATURE_FAILURE, CERT_REVOKED, …): not trusted.
  if (error.code && /^(CERT_|UNABLE_TO_|INVALID_CA|PATH_LENGTH|ERR_TLS_CERT)/.test(error.code)) {
    return new EnrollerError(
      'ENROLL_TLS_UNTRUSTED',
      `The server's certificate cannot be trusted (${error.code}).`,
      where,
    );
  }
  if (error.code === 'PIN_MISMATCH')
    return new EnrollerError(
      'ENROLL_TLS_FINGERPRINT',
      "The server's certificate is not the one pinned in this profile.",
      where,
    );
  if (/wrong version number|unsupported protocol|protocol version/i.test(error.message)) {
    return new EnrollerError(
      'ENROLL_TLS_VERSION',
      'The server offers only TLS older than 1.2, which the station refuses.',
      where,
    );
  }
  if (error.code === 'ECONNRESET' || error.code === 'ERR_STREAM_PREMATURE_CLOSE') {
    return new EnrollerError(
      'ENROLL_BAD_RESPONSE',
      'The server closed the connection without a complete answer.',
      where,
    );
  }
  return new EnrollerError(
    'ENROLL_UNREACHABLE',
    `The provisioning service at ${url.origin} cannot be reached (${error.code ?? error.message}).`,
    where,
  );
}
