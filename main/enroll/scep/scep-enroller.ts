// SCEP client (RFC 8894): GetCACaps, GetCACert (CA alone, or CA + RA), PKCSReq with the
// strongest cipher and digest the server offers, POST when advertised, transaction ID and nonces
// checked, the reply's signature checked against the pinned CA, failInfo in plain words.
//
// Who signs the request: a device key that never leaves its modem cannot sign a SCEP envelope,
// so the station signs with a throwaway RSA identity of its own and the device's CSR travels
// inside, untouched. The server then encrypts its reply to that identity. A device that can sign
// (a TPM RSA key: `context.requester`) signs its own request and unwraps the reply itself.
import crypto from 'node:crypto';
import { EnrollerError } from '../../../shared/errors';
import { x509, webcrypto } from '../../pki/crypto';
import { readCertsOnly } from '../../pki/pkcs7';
import { acceptFromReply } from '../accept';
import type { EnrollContext, Enroller, EnrollResult } from '../enroller';
import { httpsRequest, type HttpResponse, type TlsTrust } from '../https-request';
import { envelope, openEnvelope, type CipherName } from './envelope';
import { challengePasswordOf } from '../../pki/csr';
import { selfSignedCertificate } from '../../pki/external-signer';
import { buildPkiMessage, MessageType, readCertRep, requesterIdentity } from './pki-message';
import { csrPublicKey } from '../../pki/public-key-of';

export interface ScepOptions {
  /** e.g. http://scep.factory.example/scep */
  readonly url: string;
  /** SHA-256 of the CA certificate, hex: GetCACert is not otherwise authenticated. */
  readonly caFingerprintSha256?: string;
  readonly trust?: TlsTrust;
  readonly timeoutMs?: number;
  /**
   * The service wants an enrollment code (the profile has a challenge): a CSR must carry it as its
   * challengePassword. The station cannot add one to a CSR the device signed, so a CSR without one
   * is refused here instead of being sent to come back as the server's badRequest.
   */
  readonly challengeRequired?: boolean;
}

async function renewalIdentity(renew: NonNullable<EnrollContext['renew']>) {
  const privateKey = crypto.createPrivateKey(renew.keyPem);
  if (privateKey.asymmetricKeyType !== 'rsa')
    throw new EnrollerError(
      'ENROLL_NOT_SUPPORTED',
      'SCEP renewal needs an RSA certificate: the reply is encrypted to it.',
    );
  const signingKey = await webcrypto.subtle.importKey(
    'pkcs8',
    privateKey.export({ format: 'der', type: 'pkcs8' }),
    { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  return {
    signer: { certificate: new x509.X509Certificate(renew.certificatePem), privateKey: signingKey },
    privateKey,
  };
}

/**
 * The device's own key signs the request (RFC 8894 §2.3: a self-signed certificate for the CSR's
 * key) and receives the reply: possible when the key can sign and decrypt, as a TPM RSA key does.
 */
async function deviceIdentity(
  requester: NonNullable<EnrollContext['requester']>,
  csrKey: Uint8Array,
  commonName: string,
) {
  if (requester.signer.algorithm !== 'rsa-2048')
    throw new EnrollerError(
      'ENROLL_NOT_SUPPORTED',
      'SCEP replies are encrypted to the requester: the device key must be RSA to sign its own request.',
    );
  if (!Buffer.from(requester.signer.spki).equals(Buffer.from(csrKey)))
    throw new EnrollerError('ENROLL_WRONG_KEY', 'The key offered to sign the SCEP request is not the key in the CSR.');
  const certificate = await selfSignedCertificate(requester.signer, commonName);
  return { signer: { certificate, external: requester.signer }, privateKey: requester.decrypt };
}

const FAIL_INFO: Record<number, string> = {
  0: 'the CA does not accept the algorithm used (badAlg)',
  1: 'the integrity check of the request failed (badMessageCheck)',
  2: 'the CA refused the request — a wrong or used challenge password, or a request it does not allow (badRequest)',
  3: "the request's time was not close enough to the CA's (badTime)",
  4: 'no certificate matched the criteria (badCertId)',
};

export class ScepEnroller implements Enroller {
  readonly protocol = 'scep' as const;
  readonly #options: ScepOptions;
  #caps: Set<string> | undefined;
  #cas: x509.X509Certificate[] | undefined;
  /**
   * PKIOperations go to the server one at a time: micromdm scepserver 2.1.0 (Debian's) gives two
   * concurrent requests the same serial number and refuses one of them (badRequest).
   */
  #inFlight: Promise<unknown> = Promise.resolve();

  constructor(options: ScepOptions) {
    this.#options = options;
  }

  async capabilities(context: Pick<EnrollContext, 'signal' | 'timeoutMs'> = {}): Promise<Set<string>> {
    if (this.#caps) return this.#caps;
    const response = await this.#get('GetCACaps', context);
    this.#caps = new Set(
      response.body
        .toString('utf8')
        .split(/\r?\n/)
        .map((l) => l.trim().toUpperCase())
        .filter(Boolean),
    );
    return this.#caps;
  }

  async caCerts(context: Pick<EnrollContext, 'signal' | 'timeoutMs'> = {}): Promise<x509.X509Certificate[]> {
    if (this.#cas) return this.#cas;
    const response = await this.#get('GetCACert', context);
    const type = String(response.headers['content-type'] ?? '');
    let certificates: x509.X509Certificate[];
    try {
      certificates = /ra-cert/i.test(type)
        ? readCertsOnly(new Uint8Array(response.body))
        : [new x509.X509Certificate(new Uint8Array(response.body))];
    } catch (error) {
      if (error instanceof EnrollerError) throw error;
      throw new EnrollerError('ENROLL_BAD_RESPONSE', 'The SCEP server sent a CA certificate that cannot be read.');
    }
    const pin = this.#options.caFingerprintSha256?.replace(/:/g, '').toLowerCase();
    if (
      pin &&
      !certificates.some((c) => crypto.createHash('sha256').update(new Uint8Array(c.rawData)).digest('hex') === pin)
    ) {
      throw new EnrollerError(
        'ENROLL_UNTRUSTED_ISSUER',
        "The SCEP server's CA certificate is not the one pinned in this profile.",
      );
    }
    this.#cas = certificates;
    return certificates;
  }

  async enroll(csrDer: Uint8Array, context: EnrollContext): Promise<EnrollResult> {
    // A renewal is authenticated by the certificate it renews, not by a code.
    if (this.#options.challengeRequired && !context.renew && challengePasswordOf(csrDer) === undefined) {
      throw new EnrollerError(
        'SCEP_CHALLENGE_MISSING',
        `The CSR for ${context.deviceId} carries no enrollment code, and this SCEP service needs one. The station ` +
          `cannot add it to a CSR the device signed: the device must put its enrollment code in its CSR ` +
          `(challengePassword) when it creates it. Nothing was sent.`,
        { deviceId: context.deviceId },
      );
    }
    const csrKey = csrPublicKey(csrDer);
    // One transaction per device key: polling and retries reuse it (RFC 8894 §3.2.1.1).
    const transactionId = crypto.createHash('sha256').update(csrKey).digest('hex');
    return this.#send(csrDer, csrKey, transactionId, context);
  }

  /** RFC 8894 §3.3.3 lets a client poll by sending the same PKCSReq with the same transaction ID. */
  async poll(transaction: string, context: EnrollContext): Promise<EnrollResult> {
    const csrDer = new Uint8Array(Buffer.from(transaction, 'base64url'));
    return this.enroll(csrDer, context);
  }

  async #send(
    csrDer: Uint8Array,
    csrKey: Uint8Array,
    transactionId: string,
    context: EnrollContext,
  ): Promise<EnrollResult> {
    const caps = await this.capabilities(context);
    const cas = await this.caCerts(context);
    const recipient = cas.find((c) => !c.getExtension(x509.BasicConstraintsExtension)?.ca) ?? cas[0]!;
    const cipher: CipherName = caps.has('AES') ? 'aes-256-cbc' : 'des-ede3-cbc';
    const hash = caps.has('SHA-512') ? 'SHA-512' : caps.has('SHA-256') ? 'SHA-256' : 'SHA-1';
    const senderNonce = new Uint8Array(crypto.randomBytes(16));
    // Renewal (RenewalReq) is signed with the certificate being renewed (an RSA one: the reply is
    // encrypted to it); a first enrollment with the station's throwaway identity.
    const commonName = context.deviceId.replace(/[^A-Za-z0-9 .-]/g, '-').slice(0, 64) || 'enroller';
    const identity = context.renew
      ? await renewalIdentity(context.renew)
      : context.requester
        ? await deviceIdentity(context.requester, csrKey, commonName)
        : await requesterIdentity(commonName);
    const message = await buildPkiMessage({
      messageType: context.renew ? MessageType.RenewalReq : MessageType.PKCSReq,
      transactionId,
      senderNonce,
      envelopedContent: envelope(csrDer, recipient, cipher),
      signer: identity.signer,
      hash,
    });
    const response = await this.#oneAtATime(() =>
      caps.has('POSTPKIOPERATION')
        ? this.#post(message, context)
        : this.#get('PKIOperation', context, Buffer.from(message).toString('base64')),
    );
    const reply = await readCertRep(new Uint8Array(response.body), cas);
    checkAnswers(reply, transactionId, senderNonce);
    if (reply.pkiStatus === 'PENDING') {
      return { status: 'pending', transaction: Buffer.from(csrDer).toString('base64url'), retryAfterSeconds: 60 };
    }
    if (reply.pkiStatus === 'FAILURE') {
      const why =
        reply.failInfo !== undefined ? (FAIL_INFO[reply.failInfo] ?? `failInfo ${reply.failInfo}`) : 'no reason given';
      throw new EnrollerError('SCEP_FAILURE', `The SCEP server refused the request: ${why}.`, {
        failInfo: reply.failInfo,
      });
    }
    if (!reply.envelopedContent)
      throw new EnrollerError('ENROLL_BAD_RESPONSE', 'The SCEP reply says SUCCESS but carries no certificate.');
    const certificates = readCertsOnly(await openEnvelope(reply.envelopedContent, identity.privateKey));
    return acceptFromReply(
      certificates,
      csrKey,
      cas.filter((c) => c.getExtension(x509.BasicConstraintsExtension)?.ca !== false),
    );
  }

  #oneAtATime<T>(operation: () => Promise<T>): Promise<T> {
    const turn = this.#inFlight.then(operation, operation);
    this.#inFlight = turn.catch(() => undefined);
    return turn;
  }

  #get(
    operation: string,
    context: Pick<EnrollContext, 'signal' | 'timeoutMs'>,
    message?: string,
  ): Promise<HttpResponse> {
    const url = new URL(this.#options.url);
    url.searchParams.set('operation', operation);
    if (message !== undefined) url.searchParams.set('message', message);
    return this.#checked(httpsRequest({ method: 'GET', url, ...this.#common(context) }), operation);
  }

  #post(message: Uint8Array, context: Pick<EnrollContext, 'signal' | 'timeoutMs'>): Promise<HttpResponse> {
    const url = new URL(this.#options.url);
    url.searchParams.set('operation', 'PKIOperation');
    return this.#checked(
      httpsRequest({
        method: 'POST',
        url,
        headers: { 'Content-Type': 'application/x-pki-message' },
        body: message,
        ...this.#common(context),
      }),
      'PKIOperation',
    );
  }

  #common(context: Pick<EnrollContext, 'signal' | 'timeoutMs'>) {
    return {
      timeoutMs: context.timeoutMs ?? this.#options.timeoutMs ?? 30_000,
      ...(context.signal ? { signal: context.signal } : {}),
      ...(this.#options.trust ? { trust: this.#options.trust } : {}),
    };
  }

  async #checked(pending: Promise<HttpResponse>, operation: string): Promise<HttpResponse> {
    const response = await pending;
    if (response.status === 200) return response;
    if (response.status >= 500)
      throw new EnrollerError(
        'ENROLL_SERVER_ERROR',
        `The SCEP server failed on ${operation} (HTTP ${response.status}).`,
        { status: response.status },
      );
    throw new EnrollerError('ENROLL_REJECTED', `The SCEP server refused ${operation} (HTTP ${response.status}).`, {
      status: response.status,
    });
  }
}

/** The reply answers this very request: its transaction, and the nonce this request sent. */
function checkAnswers(
  reply: { transactionId: string; recipientNonce: Uint8Array },
  transactionId: string,
  senderNonce: Uint8Array,
): void {
  if (reply.transactionId !== transactionId) {
    const said = 'The SCEP reply belongs to another transaction (replayed or misrouted). It was ignored.';
    throw new EnrollerError('SCEP_TRANSACTION_MISMATCH', said);
  }
  if (!Buffer.from(reply.recipientNonce).equals(Buffer.from(senderNonce))) {
    const said = 'The SCEP reply does not answer this request (its nonce differs: a replay?). It was ignored.';
    throw new EnrollerError('SCEP_NONCE_MISMATCH', said);
  }
}
