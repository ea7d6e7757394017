// CMP client (RFC 4210 / RFC 9483, the lightweight profile) for CSRs a device made: p10cr — the
// device's CSR travels byte for byte, its key never leaves the device. The station asks for
// implicit confirmation; where the server does not grant it, the station confirms the certificate
// (certConf with its hash) and waits for pkiConf. "waiting" becomes pending: the poll (pollReq /
// pollRep, checkAfter) resumes in `queue sync`, in this process or a later one. A rejection or an
// error message is reported with its PKIStatus and every PKIFailureInfo bit in words.
import crypto from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { CertificationRequest } from '@peculiar/asn1-csr';
import { Certificate, Name } from '@peculiar/asn1-x509';
import { EnrollerError } from '../../../shared/errors';
import { x509 } from '../../pki/crypto';
import {
  CertStatus,
  InfoTypeAndValue,
  PKIBody,
  PKIStatusInfo,
  PollRequest,
  type CertResponse,
  type ErrorMsgContent,
} from '../../pki/cmp/cmp-schema';
import { failureNames, statusWords } from '../../pki/cmp/cmp-status';
import { SIGNATURE_HASHES } from '../../pki/signed-der';
import { csrPublicKey } from '../../pki/public-key-of';
import { acceptFromReply } from '../accept';
import type { EnrollContext, Enroller, EnrollResult } from '../enroller';
import { exchange, type CmpCredentials, type CmpPeer, type Received, type Transaction } from './cmp-message';

export interface CmpOptions {
  /** http(s)://host:port/path — the CMP endpoint. */
  readonly url: string;
  readonly credentials: CmpCredentials;
  /** The CA's name as the server expects it in `recipient` (default: the NULL-DN). */
  readonly recipient?: string;
  /** The service's CA certificates: its signatures and the certificates it issues chain to them. */
  readonly trustPem?: string;
  readonly timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;
/** id-it-caCerts (RFC 9483 §4.3.1): what the connection test's general message asks about. */
const CA_CERTS = '1.3.6.1.5.5.7.4.17';
/** RFC 9480: the certReqId of a p10cr is -1 (OpenSSL 3.0 answers so); whatever the server used is echoed. */
const P10CR_ID = -1;

/** What a pending request needs to be asked about again: stored in the queue as the transaction. */
interface Pending {
  readonly txn: string;
  readonly nonce: string | null;
  readonly id: number;
  readonly csr: string;
}

export class CmpEnroller implements Enroller {
  readonly protocol = 'cmp' as const;
  readonly #peer: CmpPeer;

  constructor(options: CmpOptions) {
    const anchors = options.trustPem
      ? x509.PemConverter.decode(options.trustPem).map((d) => new x509.X509Certificate(d))
      : [];
    this.#peer = {
      url: new URL(options.url),
      credentials: options.credentials,
      recipient: options.recipient
        ? AsnConvert.parse(new x509.Name(options.recipient).toArrayBuffer(), Name)
        : new Name(),
      anchors,
      trust: options.trustPem ? { anchorsPem: options.trustPem } : {},
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    };
  }

  /** The service's CA certificates as the profile names them (--trust): CMP has no unauthenticated CA fetch. */
  async caCerts(): Promise<x509.X509Certificate[]> {
    return [...this.#peer.anchors];
  }

  async enroll(csrDer: Uint8Array, context: EnrollContext): Promise<EnrollResult> {
    const sender = subjectOf(csrDer);
    const transaction = { transactionId: crypto.randomBytes(16), serverNonce: undefined };
    const body = new PKIBody({ p10cr: Uint8Array.from(csrDer).buffer });
    const received = await exchange(this.#withContext(context), transaction, body, {
      sender,
      askImplicitConfirm: true,
      signal: context.signal,
    });
    return this.#answer(received, transaction.transactionId, csrDer, context);
  }

  async poll(transaction: string, context: EnrollContext): Promise<EnrollResult> {
    const pending = JSON.parse(transaction) as Pending;
    const csrDer = Buffer.from(pending.csr, 'base64');
    const sender = subjectOf(csrDer);
    const state = {
      transactionId: Buffer.from(pending.txn, 'hex'),
      serverNonce: pending.nonce ? Buffer.from(pending.nonce, 'hex') : undefined,
    };
    const body = new PKIBody({ pollReq: [new PollRequest({ certReqId: pending.id })] });
    const received = await exchange(this.#withContext(context), state, body, { sender, signal: context.signal });
    return this.#answer(received, state.transactionId, csrDer, context);
  }

  /**
   * A general message (genm) that issues nothing, for the connection test: an answer that passes
   * its protection check proves the credentials work both ways.
   */
  async generalMessage(context: Pick<EnrollContext, 'signal' | 'timeoutMs'> = {}): Promise<string[]> {
    const transaction = { transactionId: crypto.randomBytes(16), serverNonce: undefined };
    const body = new PKIBody({ genm: [new InfoTypeAndValue({ infoType: CA_CERTS })] });
    const received = await exchange(this.#withContext(context), transaction, body, {
      sender: new Name(),
      signal: context.signal,
    });
    const { error, genp } = received.message.body;
    if (error) throw errorMessageFailure(error);
    if (!genp)
      throw new EnrollerError('ENROLL_BAD_RESPONSE', 'The CMP server did not answer a general message with genp.');
    return genp.map((i) => i.infoType);
  }

  #withContext(context: Pick<EnrollContext, 'timeoutMs'>): CmpPeer {
    return context.timeoutMs ? { ...this.#peer, timeoutMs: context.timeoutMs } : this.#peer;
  }

  /** cp / ip / pollRep / error, read once the response passed its checks. */
  async #answer(
    received: Received,
    transactionId: Uint8Array,
    csrDer: Uint8Array,
    context: EnrollContext,
  ): Promise<EnrollResult> {
    const { body } = received.message;
    if (body.error) throw errorMessageFailure(body.error);
    if (body.pollRep) {
      const rep = body.pollRep[0];
      if (!rep) throw new EnrollerError('ENROLL_BAD_RESPONSE', 'The CMP server answered a poll with an empty pollRep.');
      return pendingResult(transactionId, received, rep.certReqId, Math.max(1, rep.checkAfter), csrDer);
    }
    const response = (body.cp ?? body.ip)?.response[0];
    if (!response)
      throw new EnrollerError('ENROLL_BAD_RESPONSE', 'The CMP server answered without a certificate response (cp).');
    const status = response.status.status;
    if (status === 3) return pendingResult(transactionId, received, response.certReqId, 1, csrDer);
    if (status !== 0 && status !== 1) throw failure(response.status);
    return this.#issued(received, response, transactionId, csrDer, context);
  }

  async #issued(
    received: Received,
    response: CertResponse,
    transactionId: Uint8Array,
    csrDer: Uint8Array,
    context: EnrollContext,
  ) {
    const certificate = response.certifiedKeyPair?.certOrEncCert.certificate;
    if (!certificate)
      throw new EnrollerError(
        'ENROLL_NOT_SUPPORTED',
        'The CMP server returned its certificate encrypted; the station asks for it in clear.',
      );
    const leaf = new x509.X509Certificate(AsnConvert.serialize(certificate));
    const { message } = received;
    const toX509 = (c: Certificate) => new x509.X509Certificate(AsnConvert.serialize(c));
    // caPubs: CA certificates for the device to trust, in an answer whose protection was checked.
    const caPubs = ((message.body.cp ?? message.body.ip)!.caPubs ?? []).map(toX509);
    const extra = (message.extraCerts ?? []).map(toX509);
    const others = [...caPubs, ...extra];
    const transaction = { transactionId, serverNonce: received.serverNonce };
    let accepted;
    try {
      const trusted = [...this.#peer.anchors, ...caPubs];
      accepted = await acceptFromReply(
        [leaf, ...others.filter((c) => !sameDer(c, leaf))],
        csrPublicKey(csrDer),
        trusted,
      );
    } catch (error) {
      if (!received.implicitConfirmGranted)
        await this.#confirm(transaction, leaf, response.certReqId, context, 2).catch(() => undefined);
      throw error;
    }
    if (!received.implicitConfirmGranted) await this.#confirm(transaction, leaf, response.certReqId, context, 0);
    return accepted;
  }

  /** certConf (accepted, or a rejection of a certificate the station will not use) and its pkiConf. */
  async #confirm(
    transaction: Transaction,
    leaf: x509.X509Certificate,
    certReqId: number,
    context: EnrollContext,
    status: 0 | 2,
  ) {
    // The certificate's own signature hash (RFC 4210 §5.3.18); SHA-256 where that names none.
    const hash = SIGNATURE_HASHES[AsnConvert.parse(leaf.rawData, Certificate).signatureAlgorithm.algorithm] ?? 'sha256';
    const certHash = crypto.createHash(hash).update(new Uint8Array(leaf.rawData)).digest();
    const body = new PKIBody({
      certConf: [
        new CertStatus({ certHash: new OctetString(certHash), certReqId, statusInfo: new PKIStatusInfo({ status }) }),
      ],
    });
    const sender = AsnConvert.parse(leaf.subjectName.toArrayBuffer(), Name);
    const answer = await exchange(this.#withContext(context), transaction, body, { sender, signal: context.signal });
    if (answer.message.body.error) throw errorMessageFailure(answer.message.body.error);
    if (answer.message.body.pkiconf === undefined)
      throw new EnrollerError(
        'ENROLL_BAD_RESPONSE',
        'The CMP server did not answer the certificate confirmation with pkiConf.',
      );
  }
}

/** The CSR's subject: the sender of every request about it (RFC 9483, MAC protection). */
function subjectOf(csrDer: Uint8Array): Name {
  return AsnConvert.parse(csrDer, CertificationRequest).certificationRequestInfo.subject;
}

function sameDer(a: x509.X509Certificate, b: x509.X509Certificate): boolean {
  return Buffer.from(a.rawData).equals(Buffer.from(b.rawData));
}

function pendingResult(
  transactionId: Uint8Array,
  received: Received,
  certReqId: number,
  after: number,
  csrDer: Uint8Array,
): EnrollResult {
  const pending: Pending = {
    txn: Buffer.from(transactionId).toString('hex'),
    nonce: received.serverNonce ? Buffer.from(received.serverNonce).toString('hex') : null,
    id: certReqId ?? P10CR_ID,
    csr: Buffer.from(csrDer).toString('base64'),
  };
  return { status: 'pending', transaction: JSON.stringify(pending), retryAfterSeconds: after };
}

/** A rejection or an error message, in words; "systemUnavail" is a busy service (tried again), not a refusal. */
/** An error message (body `error`): its status, with the server's details. */
function errorMessageFailure(error: ErrorMsgContent): EnrollerError {
  return failure(error.pKIStatusInfo, error.errorDetails ? [...error.errorDetails].join(' ') : undefined);
}

function failure(statusInfo: PKIStatusInfo, details?: string): EnrollerError {
  const failInfo = failureNames(statusInfo);
  const words = `${statusWords(statusInfo)}${details ? ` — ${details}` : ''}`;
  if (failInfo.includes('systemUnavail'))
    return new EnrollerError('ENROLL_SERVER_ERROR', `The CMP server is unavailable for now: ${words}.`, { failInfo });
  return new EnrollerError('CMP_FAILURE', `The CMP server refused the request: ${words}.`, {
    status: statusInfo.status,
    failInfo,
  });
}
