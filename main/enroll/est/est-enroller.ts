// EST client (RFC 7030 with RFC 8951's clarifications): /cacerts, /simpleenroll,
// /simplereenroll, /csrattrs, /serverkeygen, with an optional label. HTTP Basic only over TLS
// (the header is written only after the handshake verified the server); TLS client certificates
// for the station's RA identity or a device's existing certificate; 202 + Retry-After → pending.
import { EnrollerError } from '../../../shared/errors';
import { x509 } from '../../pki/crypto';
import { readCertsOnly } from '../../pki/pkcs7';
import { parseCsrAttributes } from '../../pki/csr-attributes';
import { requirementsOf, type CsrRequirements } from '../../pki/csr-requirements';
import { acceptFromReply } from '../accept';
import { decodeBase64Body, encodeBase64Body } from '../base64-body';
import type { EnrollContext, Enroller, EnrollResult } from '../enroller';
import { httpsRequest, type ClientIdentity, type HttpResponse, type TlsTrust } from '../https-request';
import { parseMultipart } from './multipart';
import { csrPublicKey } from '../../pki/public-key-of';

export interface EstOptions {
  /** https://host[:port] — the client appends /.well-known/est[/label]/<operation>. */
  readonly baseUrl: string;
  readonly label?: string;
  readonly trust: TlsTrust;
  readonly basicAuth?: { readonly user: string; readonly password: string };
  readonly clientIdentity?: ClientIdentity;
  /** The CA(s) issued certificates must chain to; fetched from /cacerts once when absent. */
  readonly issuingCas?: readonly x509.X509Certificate[];
  readonly timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;

export class EstEnroller implements Enroller {
  readonly protocol = 'est' as const;
  readonly #options: EstOptions;
  #issuingCas: readonly x509.X509Certificate[] | undefined;
  #requirements: Promise<CsrRequirements | undefined> | undefined;

  constructor(options: EstOptions) {
    const url = new URL(options.baseUrl);
    if (options.basicAuth && url.protocol !== 'https:') {
      throw new EnrollerError(
        'ENROLL_INSECURE_AUTH',
        'EST passwords are sent only over HTTPS; this profile uses plain HTTP.',
      );
    }
    if (options.label !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(options.label)) {
      throw new EnrollerError('ENROLL_NOT_SUPPORTED', 'An EST label is 1–64 letters, digits, dashes or underscores.');
    }
    this.#options = options;
    this.#issuingCas = options.issuingCas;
  }

  /** The station's RA identity for TLS client authentication, when the profile has one. */
  get clientIdentity(): ClientIdentity | undefined {
    return this.#options.clientIdentity;
  }

  async caCerts(context: Pick<EnrollContext, 'signal' | 'timeoutMs'> = {}): Promise<x509.X509Certificate[]> {
    const response = await this.#request('GET', 'cacerts', context);
    this.#expect(response, 'cacerts');
    const certificates = readCertsOnly(this.#decode(response));
    if (certificates.length === 0)
      throw new EnrollerError('ENROLL_BAD_RESPONSE', 'The EST server returned no CA certificates.');
    return certificates;
  }

  async enroll(csrDer: Uint8Array, context: EnrollContext): Promise<EnrollResult> {
    const operation = context.renew ? 'simplereenroll' : 'simpleenroll';
    const response = await this.#request(
      'POST',
      operation,
      context,
      encodeBase64Body(csrDer),
      'application/pkcs10',
      context.renew ? { certificatePem: context.renew.certificatePem, keyPem: context.renew.keyPem } : undefined,
    );
    if (response.status === 202) {
      return {
        status: 'pending',
        transaction: `${operation}:${Buffer.from(csrDer).toString('base64url')}`,
        retryAfterSeconds: retryAfter(response),
      };
    }
    this.#expect(response, operation);
    const csrKey = csrPublicKey(csrDer);
    return acceptFromReply(readCertsOnly(this.#decode(response)), csrKey, await this.#cas(context));
  }

  /** RFC 7030 §4.2.3: after Retry-After the client sends the same request again. */
  async poll(transaction: string, context: EnrollContext): Promise<EnrollResult> {
    const [operation, csr] = transaction.split(':');
    if (!csr || (operation !== 'simpleenroll' && operation !== 'simplereenroll'))
      throw new EnrollerError('ENROLL_BAD_RESPONSE', 'This pending EST transaction cannot be read.');
    return this.enroll(new Uint8Array(Buffer.from(csr, 'base64url')), context);
  }

  /** /csrattrs: what the server wants in a CSR (RFC 7030 §4.5); DER of the CsrAttrs sequence, or empty. */
  async csrAttributes(context: Pick<EnrollContext, 'signal' | 'timeoutMs'> = {}): Promise<Uint8Array> {
    const response = await this.#request('GET', 'csrattrs', context);
    if (response.status === 204 || response.status === 404) return new Uint8Array(0);
    this.#expect(response, 'csrattrs');
    return this.#decode(response);
  }

  /**
   * What the server asks a CSR to carry, asked once per profile activation. An answer that cannot
   * be had (the server is down, refuses) asks nothing this time: the enrollment itself then says why.
   */
  csrRequirements(context: Pick<EnrollContext, 'signal' | 'timeoutMs'> = {}): Promise<CsrRequirements | undefined> {
    this.#requirements ??= this.csrAttributes(context).then(
      (der) => {
        const asked = requirementsOf(parseCsrAttributes(der));
        const any = asked.signatureAlgorithms.length + asked.keys.length + asked.subjectAttributes.length > 0;
        return any ? asked : undefined;
      },
      () => {
        this.#requirements = undefined; // asked again next time
        return undefined;
      },
    );
    return this.#requirements;
  }

  /**
   * Does the server accept this profile's credentials? Asked with a request that issues nothing:
   * /simpleenroll with a body that is not a CSR. A server authenticates before it reads the CSR
   * (libest's order), so wrong credentials get 401/403 and right ones 400; the same request without
   * any credentials must then get 401, or the 400 proves nothing (the server read the body first).
   */
  async checkCredentials(
    context: Pick<EnrollContext, 'signal' | 'timeoutMs'> = {},
  ): Promise<{ readonly verdict: 'accepted' | 'refused' | 'unknown'; readonly status: number }> {
    const notACsr = `${Buffer.from('not a CSR: a credentials check').toString('base64')}\n`;
    const ask = (as?: 'anonymous') => this.#request('POST', 'simpleenroll', context, notACsr, 'application/pkcs10', as);
    const withThem = await ask();
    if (withThem.status === 401 || withThem.status === 403) return { verdict: 'refused', status: withThem.status };
    if (withThem.status !== 400) return { verdict: 'unknown', status: withThem.status };
    const without = await ask('anonymous');
    const proves = without.status === 401 || without.status === 403;
    return { verdict: proves ? 'accepted' : 'unknown', status: withThem.status };
  }

  /**
   * /serverkeygen (RFC 7030 §4.4): the server makes the key. Only for devices that cannot make
   * one; the result is marked lower assurance because the key existed outside the device.
   */
  async serverKeyGen(
    csrDer: Uint8Array,
    context: EnrollContext,
  ): Promise<{ certificate: x509.X509Certificate; privateKeyPkcs8: Uint8Array; lowerAssurance: true }> {
    const response = await this.#request(
      'POST',
      'serverkeygen',
      context,
      encodeBase64Body(csrDer),
      'application/pkcs10',
    );
    this.#expect(response, 'serverkeygen');
    const parts = parseMultipart(response);
    const keyPart = parts.find((p) => /application\/pkcs8/i.test(p.contentType));
    const certPart = parts.find((p) => /application\/pkcs7-mime/i.test(p.contentType));
    if (!keyPart || !certPart)
      throw new EnrollerError(
        'ENROLL_BAD_RESPONSE',
        'The EST server-keygen answer lacks the key or the certificate part.',
      );
    const [certificate] = readCertsOnly(decodeBase64Body(certPart.body));
    if (!certificate)
      throw new EnrollerError('ENROLL_BAD_RESPONSE', 'The EST server-keygen answer holds no certificate.');
    return { certificate, privateKeyPkcs8: decodeBase64Body(keyPart.body), lowerAssurance: true };
  }

  async #cas(context: Pick<EnrollContext, 'signal' | 'timeoutMs'>): Promise<readonly x509.X509Certificate[]> {
    this.#issuingCas ??= await this.caCerts(context);
    return this.#issuingCas;
  }

  #request(
    method: 'GET' | 'POST',
    operation: string,
    context: Pick<EnrollContext, 'signal' | 'timeoutMs' | 'credential'>,
    body?: string,
    contentType?: string,
    identity?: ClientIdentity | 'anonymous',
  ): Promise<HttpResponse> {
    const base = this.#options.baseUrl.replace(/\/+$/, '');
    const path = base.endsWith('/.well-known/est') ? base : `${base}/.well-known/est`;
    const url = new URL(`${path}${this.#options.label ? `/${this.#options.label}` : ''}/${operation}`);
    const headers: Record<string, string> = { Accept: '*/*' };
    if (contentType) headers['Content-Type'] = contentType;
    if (body !== undefined) headers['Content-Transfer-Encoding'] = 'base64';
    const anonymous = identity === 'anonymous';
    const auth =
      this.#options.basicAuth && context.credential
        ? { ...this.#options.basicAuth, password: context.credential.password }
        : this.#options.basicAuth;
    if (auth && !anonymous)
      headers.Authorization = `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}`;
    const clientIdentity = anonymous ? undefined : (identity ?? this.#options.clientIdentity);
    return httpsRequest({
      method,
      url,
      headers,
      ...(body !== undefined ? { body } : {}),
      trust: this.#options.trust,
      ...(clientIdentity ? { clientIdentity } : {}),
      timeoutMs: context.timeoutMs ?? this.#options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      ...(context.signal ? { signal: context.signal } : {}),
    });
  }

  #expect(response: HttpResponse, operation: string): void {
    if (response.status === 200) return;
    const said = response.body
      .toString('utf8')
      .slice(0, 200)
      .replace(/[^\x20-\x7e]+/g, ' ')
      .trim();
    if (response.status === 401 || response.status === 403) {
      throw new EnrollerError(
        'ENROLL_UNAUTHORIZED',
        `The EST server refused the station's credentials for ${operation} (HTTP ${response.status}).`,
        { status: response.status },
      );
    }
    if (response.status >= 400 && response.status < 500) {
      throw new EnrollerError(
        'ENROLL_REJECTED',
        `The EST server rejected the ${operation} request (HTTP ${response.status}${said ? `: ${said}` : ''}).`,
        { status: response.status },
      );
    }
    if (response.status >= 500)
      throw new EnrollerError(
        'ENROLL_SERVER_ERROR',
        `The EST server failed on ${operation} (HTTP ${response.status}).`,
        { status: response.status },
      );
    throw new EnrollerError(
      'ENROLL_BAD_RESPONSE',
      `The EST server answered ${operation} with HTTP ${response.status}.`,
      { status: response.status },
    );
  }

  #decode(response: HttpResponse): Uint8Array {
    try {
      return decodeBase64Body(response.body);
    } catch {
      throw new EnrollerError('ENROLL_BAD_RESPONSE', 'The EST server sent a body that is neither base64 nor DER.');
    }
  }
}

function retryAfter(response: HttpResponse): number {
  const header = response.headers['retry-after'];
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return 60;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds, 86_400);
  const date = Date.parse(value);
  return Number.isFinite(date) ? Math.max(0, Math.min(86_400, Math.round((date - Date.now()) / 1000))) : 60;
}
