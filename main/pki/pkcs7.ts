// PKCS#7 / CMS "certs-only" (degenerate SignedData, RFC 5652 §5; RFC 7030 §4.1.3): how EST and
// SCEP carry certificates. Read with pkijs, where @peculiar/x509 stops.
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { EnrollerError } from '../../shared/errors';
import { x509 } from './crypto';
import './authority/key-vault'; // sets the pkijs crypto engine

const SIGNED_DATA = '1.2.840.113549.1.7.2';
const DATA = '1.2.840.113549.1.7.1';

export function readCertsOnly(der: Uint8Array): x509.X509Certificate[] {
  try {
    const asn = asn1js.fromBER(der.slice().buffer);
    if (asn.offset === -1) throw new Error('not BER');
    const info = new pkijs.ContentInfo({ schema: asn.result });
    if (info.contentType !== SIGNED_DATA) throw new Error(`content type ${info.contentType}`);
    const signed = new pkijs.SignedData({ schema: info.content });
    return (signed.certificates ?? [])
      .filter((c): c is pkijs.Certificate => c instanceof pkijs.Certificate)
      .map((c) => new x509.X509Certificate(c.toSchema().toBER()));
  } catch (error) {
    if (error instanceof EnrollerError) throw error;
    throw new EnrollerError(
      'ENROLL_BAD_RESPONSE',
      'The server sent certificates in a form that cannot be read (not a PKCS#7 certs-only message).',
      {
        cause: (error as Error).message,
      },
    );
  }
}

export function writeCertsOnly(certificates: readonly x509.X509Certificate[]): Uint8Array {
  const signed = new pkijs.SignedData({
    version: 1,
    encapContentInfo: new pkijs.EncapsulatedContentInfo({ eContentType: DATA }),
    certificates: certificates.map((c) => pkijs.Certificate.fromBER(c.rawData)),
    signerInfos: [],
    digestAlgorithms: [],
  });
  const info = new pkijs.ContentInfo({ contentType: SIGNED_DATA, content: signed.toSchema() });
  return new Uint8Array(info.toSchema().toBER());
}
