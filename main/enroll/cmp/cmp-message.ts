// One CMP request and its checked response: the header every request carries (pvno, sender,
// recipient, time, transactionID, a fresh senderNonce, the server's last nonce echoed), the
// protection (PBM with the shared secret, or a signature with extraCerts), the HTTP POST
// (application/pkixcmp), and the checks every response must pass before anything in it is read:
// protection, transactionID, recipNonce (RFC 4210 §5.1.1, RFC 9483 §3).
import crypto from 'node:crypto';
import { AsnConvert, BitString, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, Certificate, GeneralName, Name } from '@peculiar/asn1-x509';
import { EnrollerError } from '../../../shared/errors';
import { x509 } from '../../pki/crypto';
import { InfoTypeAndValue, PKIBody, PKIHeader, PKIMessage } from '../../pki/cmp/cmp-schema';
import {
  newPbm,
  pbmValue,
  pbmVerifies,
  protectedPartOf,
  signatureAlgorithmFor,
  signatureOverVerifies,
  signProtectedPart,
} from '../../pki/cmp/cmp-protection';
import { certificatePublicKey } from '../../pki/public-key-of';
import { publicKeyFromSpki } from '../../pki/spki-key';
import { chainsToAnchor } from '../accept';
import { httpsRequest, type TlsTrust } from '../https-request';

export const IMPLICIT_CONFIRM = '1.3.6.1.5.5.7.4.13';
const CONTENT_TYPE = 'application/pkixcmp';

/** How the station proves itself: a shared secret (PBM) or a certificate and its key. */
export type CmpCredentials =
  | { readonly kind: 'secret'; readonly reference: string | undefined; readonly secret: string }
  | {
      readonly kind: 'signature';
      readonly certificates: readonly x509.X509Certificate[];
      readonly key: crypto.KeyObject;
    };

export interface CmpPeer {
  readonly url: URL;
  readonly credentials: CmpCredentials;
  /** The server's name (RFC 9483: the CA's subject), or the NULL-DN. */
  readonly recipient: Name;
  /** Anchors for the server's signatures (and TLS); certificates it returns must chain to these or to caPubs. */
  readonly anchors: readonly x509.X509Certificate[];
  readonly trust: TlsTrust;
  readonly timeoutMs: number;
}

/** Where a transaction stands: what the next request must echo. */
export interface Transaction {
  readonly transactionId: Uint8Array;
  /** The server's senderNonce from its last response: our next recipNonce. */
  readonly serverNonce: Uint8Array | undefined;
}

export interface Received {
  readonly message: PKIMessage;
  /** The server's senderNonce (what a follow-up request echoes). */
  readonly serverNonce: Uint8Array | undefined;
  readonly implicitConfirmGranted: boolean;
}

/** Sends `body` in `transaction` and returns the response once it has passed every check. */
export async function exchange(
  peer: CmpPeer,
  transaction: Transaction,
  body: PKIBody,
  options: { sender: Name; askImplicitConfirm?: boolean; signal?: AbortSignal | undefined },
): Promise<Received> {
  const senderNonce = crypto.randomBytes(16);
  const request = protect(peer, header(peer, transaction, senderNonce, options), body);
  const response = await httpsRequest({
    method: 'POST',
    url: peer.url,
    headers: { 'content-type': CONTENT_TYPE },
    body: request,
    trust: peer.trust,
    timeoutMs: peer.timeoutMs,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (response.status !== 200 || !String(response.headers['content-type'] ?? '').startsWith(CONTENT_TYPE))
    throw new EnrollerError(
      response.status >= 500 ? 'ENROLL_SERVER_ERROR' : 'ENROLL_BAD_RESPONSE',
      `The CMP server answered HTTP ${response.status} (${response.headers['content-type'] ?? 'no type'}), not a ` +
        'CMP message.',
      { status: response.status },
    );
  return check(peer, new Uint8Array(response.body), transaction.transactionId, senderNonce);
}

function header(
  peer: CmpPeer,
  transaction: Transaction,
  senderNonce: Uint8Array,
  options: { sender: Name; askImplicitConfirm?: boolean },
): PKIHeader {
  const { credentials } = peer;
  const signer = credentials.kind === 'signature' ? credentials.certificates[0]! : undefined;
  const ski = signer ? subjectKeyIdentifierHex(signer) : undefined;
  const kid = ski ? Buffer.from(ski, 'hex') : credentials.kind === 'secret' ? credentials.reference : undefined;
  return new PKIHeader({
    pvno: 2,
    sender: new GeneralName({
      directoryName: signer ? AsnConvert.parse(signer.subjectName.toArrayBuffer(), Name) : options.sender,
    }),
    recipient: new GeneralName({ directoryName: peer.recipient }),
    messageTime: new Date(Math.floor(Date.now() / 1000) * 1000),
    protectionAlg:
      credentials.kind === 'secret'
        ? newPbm()
        : new AlgorithmIdentifier({ algorithm: signatureAlgorithmFor(credentials.key).oid }),
    ...(kid !== undefined
      ? { senderKID: new OctetString(typeof kid === 'string' ? Buffer.from(kid, 'utf8') : kid) }
      : {}),
    transactionID: new OctetString(transaction.transactionId),
    senderNonce: new OctetString(senderNonce),
    ...(transaction.serverNonce ? { recipNonce: new OctetString(transaction.serverNonce) } : {}),
    ...(options.askImplicitConfirm
      ? {
          generalInfo: [
            new InfoTypeAndValue({ infoType: IMPLICIT_CONFIRM, infoValue: Uint8Array.of(0x05, 0x00).buffer }),
          ],
        }
      : {}),
  });
}

/** The request's DER with its protection (and, signed, the station's certificates in extraCerts). */
function protect(peer: CmpPeer, head: PKIHeader, body: PKIBody): Uint8Array {
  const unprotected = new Uint8Array(AsnConvert.serialize(new PKIMessage({ header: head, body })));
  const part = protectedPartOf(unprotected)!;
  const { credentials } = peer;
  const value =
    credentials.kind === 'secret'
      ? pbmValue(head.protectionAlg!, credentials.secret, part)!
      : signProtectedPart(credentials.key, signatureAlgorithmFor(credentials.key).hash, part);
  const extraCerts =
    credentials.kind === 'signature'
      ? credentials.certificates.map((c) => AsnConvert.parse(c.rawData, Certificate))
      : undefined;
  const message = new PKIMessage({
    header: head,
    body,
    protection: new BitString(value),
    ...(extraCerts ? { extraCerts } : {}),
  });
  return new Uint8Array(AsnConvert.serialize(message));
}

async function check(
  peer: CmpPeer,
  der: Uint8Array,
  transactionId: Uint8Array,
  senderNonce: Uint8Array,
): Promise<Received> {
  let message: PKIMessage;
  try {
    message = AsnConvert.parse(der, PKIMessage);
  } catch (error) {
    throw new EnrollerError(
      'ENROLL_BAD_RESPONSE',
      `The CMP server's answer is not a PKIMessage this station reads: ${(error as Error).message}.`,
    );
  }
  await checkProtection(peer, message, der);
  const h = message.header;
  if (!h.transactionID || !Buffer.from(h.transactionID.buffer).equals(Buffer.from(transactionId)))
    throw new EnrollerError(
      'CMP_TRANSACTION_MISMATCH',
      "The CMP server's answer belongs to another transaction; it was ignored.",
    );
  if (!h.recipNonce || !Buffer.from(h.recipNonce.buffer).equals(Buffer.from(senderNonce)))
    throw new EnrollerError(
      'CMP_NONCE_MISMATCH',
      "The CMP server's answer does not echo this request's nonce (a replay?); it was ignored.",
    );
  return {
    message,
    serverNonce: h.senderNonce ? new Uint8Array(h.senderNonce.buffer) : undefined,
    implicitConfirmGranted: (h.generalInfo ?? []).some((i) => i.infoType === IMPLICIT_CONFIRM),
  };
}

/** Every answer is protected by what this profile trusts: the shared secret, or a signer chaining to its anchors. */
async function checkProtection(peer: CmpPeer, message: PKIMessage, der: Uint8Array): Promise<void> {
  const algorithm = message.header.protectionAlg;
  const protection = message.protection ? new Uint8Array(message.protection.value) : undefined;
  const part = protectedPartOf(der);
  if (!algorithm || !protection || !part)
    throw new EnrollerError(
      'CMP_PROTECTION_INVALID',
      `The CMP server's answer is not protected${unprotectedWords(message)}; it was ignored.`,
    );
  const { credentials } = peer;
  const ok =
    credentials.kind === 'secret' && algorithm.algorithm === '1.2.840.113533.7.66.13'
      ? pbmVerifies(algorithm, credentials.secret, part, protection)
      : await signatureTrusted(peer, message, algorithm.algorithm, part, protection);
  if (!ok)
    throw new EnrollerError(
      'CMP_PROTECTION_INVALID',
      "The CMP server's answer failed its protection check (a wrong shared secret, a signer this profile does not " +
        'trust, ' +
        'or a message changed on the way); it was ignored.',
    );
}

/** The signer: in extraCerts, named by senderKID (or the sender's name), chaining by signature to an anchor. */
async function signatureTrusted(
  peer: CmpPeer,
  message: PKIMessage,
  algorithmOid: string,
  part: Uint8Array,
  protection: Uint8Array,
) {
  const extra = (message.extraCerts ?? []).map((c) => new x509.X509Certificate(AsnConvert.serialize(c)));
  const kid = message.header.senderKID ? Buffer.from(message.header.senderKID.buffer).toString('hex') : undefined;
  const signer = extra.find((c) => (kid ? subjectKeyIdentifierHex(c) === kid : false)) ?? extra[0];
  if (!signer || !(await chainsToAnchor(signer, [...extra, ...peer.anchors], peer.anchors))) return false;
  const now = Date.now();
  if (signer.notBefore.getTime() > now || signer.notAfter.getTime() < now) return false;
  return (
    (await signatureOverVerifies(
      algorithmOid,
      publicKeyFromSpki(certificatePublicKey(signer.rawData)),
      part,
      protection,
    )) === true
  );
}

function subjectKeyIdentifierHex(certificate: x509.X509Certificate): string | undefined {
  return certificate.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId.toLowerCase();
}

function unprotectedWords(message: PKIMessage): string {
  const error = message.body.error;
  const text = error?.errorDetails ? [...error.errorDetails].join(' ') : error?.pKIStatusInfo.statusString?.join(' ');
  return text ? ` (it said: "${text}")` : '';
}
