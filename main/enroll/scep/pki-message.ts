// SCEP pkiMessage (RFC 8894 §3): a CMS SignedData whose signed attributes carry the SCEP fields
// and whose content is an EnvelopedData. Building a PKCSReq, and reading a CertRep.
import crypto from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { EnrollerError } from '../../../shared/errors';
import { x509, webcrypto, type CryptoKey } from '../../pki/crypto';
import '../../pki/authority/key-vault'; // sets the pkijs crypto engine
import { octets } from './envelope';
import type { ExternalSigner } from '../../pki/external-signer';

export const SCEP_OID = {
  messageType: '2.16.840.1.113733.1.9.2',
  pkiStatus: '2.16.840.1.113733.1.9.3',
  failInfo: '2.16.840.1.113733.1.9.4',
  senderNonce: '2.16.840.1.113733.1.9.5',
  recipientNonce: '2.16.840.1.113733.1.9.6',
  transactionId: '2.16.840.1.113733.1.9.7',
} as const;
const CONTENT_TYPE = '1.2.840.113549.1.9.3';
const MESSAGE_DIGEST = '1.2.840.113549.1.9.4';
const SIGNED_DATA = '1.2.840.113549.1.7.2';
const DATA = '1.2.840.113549.1.7.1';

export const MessageType = { CertRep: '3', RenewalReq: '17', PKCSReq: '19', CertPoll: '20' } as const;

/** Who signs the request: a key in this process, or one held elsewhere (a TPM) that signs SHA-256. */
export type Signer =
  | { readonly certificate: x509.X509Certificate; readonly privateKey: CryptoKey }
  | { readonly certificate: x509.X509Certificate; readonly external: ExternalSigner };

export async function buildPkiMessage(options: {
  readonly messageType: string;
  readonly transactionId: string;
  readonly senderNonce: Uint8Array;
  readonly envelopedContent: Uint8Array;
  readonly signer: Signer;
  readonly hash: 'SHA-256' | 'SHA-1' | 'SHA-512';
}): Promise<Uint8Array> {
  // A key held elsewhere signs SHA-256 digests only.
  const hash = 'external' in options.signer ? 'SHA-256' : options.hash;
  const digest = crypto.createHash(hash.replace('-', '').toLowerCase()).update(options.envelopedContent).digest();
  const attribute = (type: string, value: asn1js.AsnType) => new pkijs.Attribute({ type, values: [value] });
  const signerCert = pkijs.Certificate.fromBER(options.signer.certificate.rawData);
  const signed = new pkijs.SignedData({
    version: 1,
    encapContentInfo: new pkijs.EncapsulatedContentInfo({
      eContentType: DATA,
      eContent: new asn1js.OctetString({ valueHex: options.envelopedContent }),
    }),
    certificates: [signerCert],
    signerInfos: [
      new pkijs.SignerInfo({
        version: 1,
        sid: new pkijs.IssuerAndSerialNumber({ issuer: signerCert.issuer, serialNumber: signerCert.serialNumber }),
        signedAttrs: new pkijs.SignedAndUnsignedAttributes({
          type: 0,
          attributes: derSorted([
            attribute(CONTENT_TYPE, new asn1js.ObjectIdentifier({ value: DATA })),
            attribute(MESSAGE_DIGEST, new asn1js.OctetString({ valueHex: digest })),
            attribute(SCEP_OID.messageType, new asn1js.PrintableString({ value: options.messageType })),
            attribute(SCEP_OID.transactionId, new asn1js.PrintableString({ value: options.transactionId })),
            attribute(SCEP_OID.senderNonce, new asn1js.OctetString({ valueHex: options.senderNonce })),
          ]),
        }),
      }),
    ],
  });
  if ('external' in options.signer)
    await signed.sign(EXTERNAL_KEY as never, 0, hash, undefined, externalEngine(options.signer.external));
  else await signed.sign(options.signer.privateKey as never, 0, hash);
  return new Uint8Array(
    new pkijs.ContentInfo({ contentType: SIGNED_DATA, content: signed.toSchema(true) }).toSchema().toBER(),
  );
}

/** Stands in for a CryptoKey in pkijs's API; the engine below never looks inside it. */
const EXTERNAL_KEY = { algorithm: { name: 'external' } };

/** pkijs's crypto engine, except that the signature comes from the external signer. */
function externalEngine(signer: ExternalSigner): pkijs.ICryptoEngine {
  const engine = pkijs.getCrypto(true);
  const algorithm =
    signer.algorithm === 'rsa-2048'
      ? { algorithmId: '1.2.840.113549.1.1.11', algorithmParams: new asn1js.Null() }
      : { algorithmId: '1.2.840.10045.4.3.2' };
  return Object.assign(Object.create(engine) as pkijs.ICryptoEngine, {
    getSignatureParameters: async () => ({
      signatureAlgorithm: new pkijs.AlgorithmIdentifier(algorithm),
      parameters: { algorithm: { name: 'external' } },
    }),
    signWithPrivateKey: async (data: ArrayBuffer | ArrayBufferView) => {
      const bytes = ArrayBuffer.isView(data)
        ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
        : new Uint8Array(data);
      return (await signer.sign(bytes)).slice().buffer;
    },
  });
}

/**
 * Signed attributes are a DER SET OF, which must be sorted by encoding. pkijs keeps the given
 * order; verifiers that re-encode (Go's pkcs7, as in micromdm) would then check another byte
 * string than the one signed.
 */
function derSorted(attributes: pkijs.Attribute[]): pkijs.Attribute[] {
  const encoded = attributes.map((a) => ({ a, der: Buffer.from(a.toSchema().toBER()) }));
  return encoded.sort((x, y) => Buffer.compare(x.der, y.der)).map((e) => e.a);
}

export interface CertRep {
  readonly messageType: string;
  readonly pkiStatus: 'SUCCESS' | 'FAILURE' | 'PENDING';
  readonly failInfo: number | undefined;
  readonly transactionId: string;
  readonly recipientNonce: Uint8Array;
  /** The EnvelopedData (present on SUCCESS). */
  readonly envelopedContent: Uint8Array | undefined;
}

const STATUS: Record<string, CertRep['pkiStatus']> = { '0': 'SUCCESS', '2': 'FAILURE', '3': 'PENDING' };

/** Parses a CertRep and checks its signature against the CA (or RA) certificates we trust. */
export async function readCertRep(der: Uint8Array, trusted: readonly x509.X509Certificate[]): Promise<CertRep> {
  let signed: pkijs.SignedData;
  try {
    const info = new pkijs.ContentInfo({ schema: asn1js.fromBER(der.slice().buffer).result });
    signed = new pkijs.SignedData({ schema: info.content });
  } catch (error) {
    throw new EnrollerError('ENROLL_BAD_RESPONSE', 'The SCEP server sent something that is not a pkiMessage.', {
      cause: (error as Error).message,
    });
  }
  const signerInfo = signed.signerInfos[0];
  if (!signerInfo?.signedAttrs)
    throw new EnrollerError('ENROLL_BAD_RESPONSE', 'The SCEP reply has no signed attributes.');
  // The signer's certificate must be one we pinned (GetCACert), not whatever the reply carries.
  const embedded = (signed.certificates ?? []).filter((c): c is pkijs.Certificate => c instanceof pkijs.Certificate);
  const trustedPkijs = trusted.map((t) => pkijs.Certificate.fromBER(t.rawData));
  signed.certificates = [...trustedPkijs, ...embedded];
  let verified = false;
  try {
    const sid = signerInfo.sid as pkijs.IssuerAndSerialNumber;
    const signerIsTrusted = trustedPkijs.some(
      (t) => t.serialNumber.isEqual(sid.serialNumber) && t.issuer.isEqual(sid.issuer),
    );
    verified = signerIsTrusted && (await signed.verify({ signer: 0, checkChain: false }));
  } catch {
    verified = false;
  }
  if (!verified)
    throw new EnrollerError(
      'SCEP_SIGNATURE_INVALID',
      'The SCEP reply is not signed by the CA this profile trusts. It was ignored.',
    );

  const attributes = new Map(signerInfo.signedAttrs.attributes.map((a) => [a.type, a.values[0]]));
  const text = (oid: string) => (attributes.get(oid) as asn1js.PrintableString | undefined)?.valueBlock.value;
  const bytes = (oid: string) => {
    const v = attributes.get(oid) as asn1js.OctetString | undefined;
    return v ? new Uint8Array(v.valueBlock.valueHexView) : new Uint8Array(0);
  };
  const status = STATUS[text(SCEP_OID.pkiStatus) ?? ''];
  if (!status) throw new EnrollerError('ENROLL_BAD_RESPONSE', 'The SCEP reply has no valid pkiStatus.');
  const failInfoText = text(SCEP_OID.failInfo);
  const eContent = signed.encapContentInfo.eContent;
  return {
    messageType: text(SCEP_OID.messageType) ?? '',
    pkiStatus: status,
    failInfo: failInfoText === undefined ? undefined : Number(failInfoText),
    transactionId: text(SCEP_OID.transactionId) ?? '',
    recipientNonce: bytes(SCEP_OID.recipientNonce),
    envelopedContent: eContent ? new Uint8Array(octets(eContent)) : undefined,
  };
}

/** A throwaway RSA identity that signs the envelope and receives the encrypted reply. */
export async function requesterIdentity(commonName: string): Promise<{ signer: Signer; privateKey: crypto.KeyObject }> {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const algorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;
  const signingKey = await webcrypto.subtle.importKey(
    'pkcs8',
    privateKey.export({ format: 'der', type: 'pkcs8' }),
    algorithm,
    false,
    ['sign'],
  );
  const publicKey = await webcrypto.subtle.importKey(
    'spki',
    crypto.createPublicKey(privateKey).export({ format: 'der', type: 'spki' }),
    algorithm,
    true,
    ['verify'],
  );
  const now = Date.now();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: crypto.randomBytes(8).toString('hex'),
    name: [{ CN: [commonName] }],
    notBefore: new Date(now - 3_600_000),
    notAfter: new Date(now + 86_400_000),
    keys: { publicKey, privateKey: signingKey } as never,
    signingAlgorithm: algorithm,
  });
  return { signer: { certificate, privateKey: signingKey }, privateKey };
}
