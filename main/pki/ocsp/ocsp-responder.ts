// An RFC 6960 OCSP responder for the station CA (#19): it reads each request, answers good,
// revoked (with time and reason) or unknown for every certificate asked about, echoes the nonce,
// and signs with a delegated OCSP-signing certificate the issuing CA issued (§4.2.2.2). Built on
// pkijs's OCSP structures; the status of each serial comes from the ledger at the moment of asking.
import crypto from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import '../authority/key-vault'; // sets the pkijs crypto engine
import type { CryptoKey } from '../crypto';
import type { x509 } from '../crypto';

export type CertificateStatus =
  | { readonly status: 'good' }
  | { readonly status: 'revoked'; readonly revokedAt: Date; readonly reason: number }
  | { readonly status: 'unknown' };

export interface OcspSigner {
  readonly certificate: x509.X509Certificate;
  readonly key: CryptoKey;
}

const NONCE = '1.3.6.1.5.5.7.48.1.2';
const BASIC_RESPONSE = '1.3.6.1.5.5.7.48.1.1';
/** RFC 6960 §4.2.1 OCSPResponseStatus. */
const RESPONSE_STATUS = { successful: 0, malformedRequest: 1, internalError: 2 } as const;
const HASHES: Record<string, string> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};
/** How long a relying party may keep an answer (nextUpdate). */
const ANSWER_VALID_MS = 60 * 60 * 1000;

export class OcspResponder {
  readonly #issuer: { name: Uint8Array; key: Uint8Array };
  readonly #signer: OcspSigner;
  readonly #signerCertificate: pkijs.Certificate;
  readonly #statusOf: (serial: string) => CertificateStatus;

  constructor(issuing: x509.X509Certificate, signer: OcspSigner, statusOf: (serial: string) => CertificateStatus) {
    const issuingCert = pkijs.Certificate.fromBER(issuing.rawData);
    this.#issuer = {
      name: new Uint8Array(issuingCert.subject.toSchema().toBER()),
      key: issuingCert.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView.slice(),
    };
    this.#signer = signer;
    this.#signerCertificate = pkijs.Certificate.fromBER(signer.certificate.rawData);
    this.#statusOf = statusOf;
  }

  /** The DER OCSPResponse for a DER OCSPRequest; a request that does not parse gets malformedRequest. */
  async respond(requestDer: Uint8Array, now = new Date()): Promise<Uint8Array> {
    let request: pkijs.OCSPRequest;
    try {
      request = pkijs.OCSPRequest.fromBER(requestDer);
    } catch {
      return unsigned(RESPONSE_STATUS.malformedRequest);
    }
    const data = new pkijs.ResponseData({
      responderID: this.#signerCertificate.subject,
      producedAt: now,
      responses: request.tbsRequest.requestList.map((one) => this.#answer(one.reqCert, now)),
    });
    const nonce = request.tbsRequest.requestExtensions?.find((e) => e.extnID === NONCE);
    if (nonce) data.responseExtensions = [nonce];
    const basic = new pkijs.BasicOCSPResponse({ tbsResponseData: data, certs: [this.#signerCertificate] });
    await basic.sign(this.#signer.key as never, 'SHA-256');
    const response = new pkijs.OCSPResponse({
      responseStatus: new asn1js.Enumerated({ value: RESPONSE_STATUS.successful }),
      responseBytes: new pkijs.ResponseBytes({
        responseType: BASIC_RESPONSE,
        response: new asn1js.OctetString({ valueHex: basic.toSchema().toBER() }),
      }),
    });
    return new Uint8Array(response.toSchema().toBER());
  }

  #answer(id: pkijs.CertID, now: Date): pkijs.SingleResponse {
    const serial = Buffer.from(id.serialNumber.valueBlock.valueHexView)
      .toString('hex')
      .replace(/^(00)+(?=.)/, '');
    const status = this.#isOurs(id) ? this.#statusOf(serial) : { status: 'unknown' as const };
    return new pkijs.SingleResponse({
      certID: id,
      certStatus: certStatus(status),
      thisUpdate: now,
      nextUpdate: new Date(now.getTime() + ANSWER_VALID_MS),
    });
  }

  /** The CertID names the station's issuing CA (its name and key hashed as the request says). */
  #isOurs(id: pkijs.CertID): boolean {
    const hash = HASHES[id.hashAlgorithm.algorithmId];
    if (!hash) return false;
    const digest = (bytes: Uint8Array) => crypto.createHash(hash).update(bytes).digest();
    return (
      digest(this.#issuer.name).equals(id.issuerNameHash.valueBlock.valueHexView) &&
      digest(this.#issuer.key).equals(id.issuerKeyHash.valueBlock.valueHexView)
    );
  }
}

/** CertStatus ::= CHOICE { good [0] IMPLICIT NULL, revoked [1] IMPLICIT RevokedInfo, unknown [2] IMPLICIT NULL }. */
function certStatus(status: CertificateStatus): asn1js.BaseBlock {
  if (status.status === 'revoked') {
    return new asn1js.Constructed({
      idBlock: { tagClass: 3, tagNumber: 1 },
      value: [
        new asn1js.GeneralizedTime({ valueDate: status.revokedAt }),
        new asn1js.Constructed({
          idBlock: { tagClass: 3, tagNumber: 0 },
          value: [new asn1js.Enumerated({ value: status.reason })],
        }),
      ],
    });
  }
  return new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: status.status === 'good' ? 0 : 2 } });
}

function unsigned(status: number): Uint8Array {
  const response = new pkijs.OCSPResponse({ responseStatus: new asn1js.Enumerated({ value: status }) });
  return new Uint8Array(response.toSchema().toBER());
}
