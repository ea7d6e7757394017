// CMS EnvelopedData for SCEP (RFC 8894 §3.2.2): the content encrypted with AES-CBC (or 3DES
// when that is all the CA offers), the content key wrapped to an RSA certificate with
// rsaEncryption (PKCS#1 v1.5) — the only key transport SCEP servers such as micromdm speak.
// WebCrypto has no PKCS#1 v1.5 encryption, and Node refuses PKCS#1 v1.5 private decryption, so
// the unwrap is a raw RSA operation followed by a padding check written here.
import crypto from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { EnrollerError } from '../../../shared/errors';
import type { x509 } from '../../pki/crypto';

const RSA_ENCRYPTION = '1.2.840.113549.1.1.1';
const ENVELOPED_DATA = '1.2.840.113549.1.7.3';
const DATA = '1.2.840.113549.1.7.1';
const DES_CBC = '1.3.14.3.2.7';
export const CIPHERS = {
  'aes-128-cbc': { oid: '2.16.840.1.101.3.4.1.2', keyBytes: 16, ivBytes: 16 },
  'aes-256-cbc': { oid: '2.16.840.1.101.3.4.1.42', keyBytes: 32, ivBytes: 16 },
  'des-ede3-cbc': { oid: '1.2.840.113549.3.7', keyBytes: 24, ivBytes: 8 },
} as const;
export type CipherName = keyof typeof CIPHERS;

export function envelope(content: Uint8Array, recipient: x509.X509Certificate, cipher: CipherName): Uint8Array {
  const spec = CIPHERS[cipher];
  const key = crypto.randomBytes(spec.keyBytes);
  const iv = crypto.randomBytes(spec.ivBytes);
  const c = crypto.createCipheriv(cipher, key, iv);
  const ciphertext = Buffer.concat([c.update(content), c.final()]);
  const wrapped = crypto.publicEncrypt(
    { key: recipient.toString('pem'), padding: crypto.constants.RSA_PKCS1_PADDING },
    key,
  );
  const certificate = pkijs.Certificate.fromBER(recipient.rawData);
  const enveloped = new pkijs.EnvelopedData({
    version: 0,
    recipientInfos: [
      new pkijs.RecipientInfo({
        variant: 1,
        value: new pkijs.KeyTransRecipientInfo({
          version: 0,
          rid: new pkijs.IssuerAndSerialNumber({ issuer: certificate.issuer, serialNumber: certificate.serialNumber }),
          keyEncryptionAlgorithm: new pkijs.AlgorithmIdentifier({
            algorithmId: RSA_ENCRYPTION,
            algorithmParams: new asn1js.Null(),
          }),
          encryptedKey: new asn1js.OctetString({ valueHex: wrapped }),
        }),
      }),
    ],
    encryptedContentInfo: new pkijs.EncryptedContentInfo({
      contentType: DATA,
      contentEncryptionAlgorithm: new pkijs.AlgorithmIdentifier({
        algorithmId: spec.oid,
        algorithmParams: new asn1js.OctetString({ valueHex: iv }),
      }),
      encryptedContent: new asn1js.OctetString({ valueHex: ciphertext }),
    }),
  });
  return new Uint8Array(
    new pkijs.ContentInfo({ contentType: ENVELOPED_DATA, content: enveloped.toSchema() }).toSchema().toBER(),
  );
}

/** Raw RSA with a key held elsewhere (a TPM): the block in, the block out, no padding removed. */
export type RawRsaDecrypt = (block: Uint8Array) => Promise<Uint8Array>;

/** Opens an EnvelopedData (the eContent of a CertRep, as raw EnvelopedData or inside ContentInfo). */
export async function openEnvelope(der: Uint8Array, privateKey: crypto.KeyObject | RawRsaDecrypt): Promise<Uint8Array> {
  try {
    const asn = asn1js.fromBER(der.slice().buffer).result;
    let enveloped: pkijs.EnvelopedData;
    try {
      const info = new pkijs.ContentInfo({ schema: asn });
      enveloped = new pkijs.EnvelopedData({ schema: info.content });
    } catch {
      enveloped = new pkijs.EnvelopedData({ schema: asn });
    }
    const recipient = enveloped.recipientInfos[0]?.value as pkijs.KeyTransRecipientInfo | undefined;
    if (!recipient) throw new Error('no recipient');
    const encryptedKey = new Uint8Array(recipient.encryptedKey.valueBlock.valueHexView);
    const block =
      typeof privateKey === 'function'
        ? Buffer.from(await privateKey(encryptedKey))
        : crypto.privateDecrypt({ key: privateKey, padding: crypto.constants.RSA_NO_PADDING }, encryptedKey);
    const key = unwrapPkcs1(block);
    const algorithm = enveloped.encryptedContentInfo.contentEncryptionAlgorithm;
    const iv = Buffer.from((algorithm.algorithmParams as asn1js.OctetString).valueBlock.valueHexView);
    const content = enveloped.encryptedContentInfo.encryptedContent;
    if (!content) throw new Error('no encrypted content');
    const ciphertext = octets(content);
    let cipher: string | undefined = (Object.keys(CIPHERS) as CipherName[]).find(
      (name) => CIPHERS[name].oid === algorithm.algorithmId,
    );
    let contentKey = key;
    if (algorithm.algorithmId === DES_CBC) {
      // micromdm answers with single DES whatever we asked for. OpenSSL 3 keeps DES in its legacy
      // provider, but EDE with three equal keys is single DES, so 3DES decrypts it.
      cipher = 'des-ede3-cbc';
      contentKey = Buffer.concat([key, key, key]);
    }
    if (!cipher) throw new Error(`cipher ${algorithm.algorithmId}`);
    const d = crypto.createDecipheriv(cipher, contentKey, iv);
    return new Uint8Array(Buffer.concat([d.update(ciphertext), d.final()]));
  } catch (error) {
    throw new EnrollerError('ENROLL_BAD_RESPONSE', 'The SCEP reply could not be decrypted.', {
      cause: (error as Error).message,
      stack: process.env.ENROLLER_DEBUG ? (error as Error).stack : undefined,
    });
  }
}

/** An OCTET STRING's bytes, whether primitive or constructed from pieces (BER). */
export function octets(value: asn1js.OctetString): Buffer {
  const block = value.valueBlock as unknown as {
    isConstructed?: boolean;
    value?: asn1js.OctetString[];
    valueHexView?: Uint8Array;
    valueHex?: ArrayBuffer;
  };
  if ((value.idBlock.isConstructed || block.isConstructed) && block.value)
    return Buffer.concat(block.value.map((part) => octets(part)));
  // An [0] IMPLICIT OCTET STRING arrives as a bare primitive block (pkijs keeps only valueHex).
  return Buffer.from(block.valueHexView ?? new Uint8Array(block.valueHex ?? new ArrayBuffer(0)));
}

/** RSA PKCS#1 v1.5 decryption (RFC 8017 §7.2.2): the padding check after raw RSA. */
function unwrapPkcs1(block: Buffer): Buffer {
  const separator = block.indexOf(0, 2);
  if (block[0] !== 0x00 || block[1] !== 0x02 || separator < 10) throw new Error('bad key-transport padding');
  return block.subarray(separator + 1);
}
