// CMP messages (RFC 4210, updated by RFC 9480; the lightweight profile RFC 9483) as
// @peculiar/asn1-schema classes, one per structure, as far as a p10cr enrollment with its
// confirmation, polling and errors needs them. The CMP module uses EXPLICIT TAGS: every context
// tag here wraps its content. Bodies the station never reads (ir, cr, kur, …) are not declared;
// a message carrying one fails to parse, which the client reports as a bad response.
import { AsnArray, AsnPropTypes, AsnTypeTypes, BitString, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, Certificate, GeneralName } from '@peculiar/asn1-x509';
import { asn1Fields } from './asn1-fields';

/** PKIFreeText ::= SEQUENCE SIZE (1..MAX) OF UTF8String */
export class PKIFreeText extends AsnArray<string> {
  constructor(items?: string[]) {
    super(items ?? []);
    Object.setPrototypeOf(this, PKIFreeText.prototype);
  }
}
asn1Fields(PKIFreeText, [], { type: AsnTypeTypes.Sequence, itemType: AsnPropTypes.Utf8String });

/** InfoTypeAndValue ::= SEQUENCE { infoType OBJECT IDENTIFIER, infoValue ANY DEFINED BY infoType OPTIONAL } */
export class InfoTypeAndValue {
  infoType = '';
  infoValue?: ArrayBuffer;
  constructor(params: Partial<InfoTypeAndValue> = {}) {
    Object.assign(this, params);
  }
}
asn1Fields(InfoTypeAndValue, [
  ['infoType', { type: AsnPropTypes.ObjectIdentifier }],
  ['infoValue', { type: AsnPropTypes.Any, optional: true }],
]);

/** PKIHeader (RFC 4210 §5.1.1). pvno 2 = cmp2000, 3 = cmp2021. */
export class PKIHeader {
  pvno = 2;
  sender = new GeneralName();
  recipient = new GeneralName();
  messageTime?: Date;
  protectionAlg?: AlgorithmIdentifier;
  senderKID?: OctetString;
  recipKID?: OctetString;
  transactionID?: OctetString;
  senderNonce?: OctetString;
  recipNonce?: OctetString;
  freeText?: PKIFreeText;
  generalInfo?: InfoTypeAndValue[];
  constructor(params: Partial<PKIHeader> = {}) {
    Object.assign(this, params);
  }
}
asn1Fields(PKIHeader, [
  ['pvno', { type: AsnPropTypes.Integer }],
  ['sender', { type: GeneralName }],
  ['recipient', { type: GeneralName }],
  ['messageTime', { type: AsnPropTypes.GeneralizedTime, context: 0, optional: true }],
  ['protectionAlg', { type: AlgorithmIdentifier, context: 1, optional: true }],
  ['senderKID', { type: OctetString, context: 2, optional: true }],
  ['recipKID', { type: OctetString, context: 3, optional: true }],
  ['transactionID', { type: OctetString, context: 4, optional: true }],
  ['senderNonce', { type: OctetString, context: 5, optional: true }],
  ['recipNonce', { type: OctetString, context: 6, optional: true }],
  ['freeText', { type: PKIFreeText, context: 7, optional: true }],
  ['generalInfo', { type: InfoTypeAndValue, context: 8, optional: true, repeated: 'sequence' }],
]);

/** PKIStatusInfo ::= SEQUENCE { status PKIStatus, statusString PKIFreeText OPT., failInfo PKIFailureInfo OPT. } */
export class PKIStatusInfo {
  status = 0;
  statusString?: PKIFreeText;
  failInfo?: BitString;
  constructor(params: Partial<PKIStatusInfo> = {}) {
    Object.assign(this, params);
  }
}
asn1Fields(PKIStatusInfo, [
  ['status', { type: AsnPropTypes.Integer }],
  ['statusString', { type: PKIFreeText, optional: true }],
  ['failInfo', { type: BitString, optional: true }],
]);

/** CertOrEncCert ::= CHOICE { certificate [0] CMPCertificate, encryptedCert [1] EncryptedKey } */
export class CertOrEncCert {
  certificate?: Certificate;
  encryptedCert?: ArrayBuffer;
  constructor(params: Partial<CertOrEncCert> = {}) {
    Object.assign(this, params);
  }
}
asn1Fields(
  CertOrEncCert,
  [
    ['certificate', { type: Certificate, context: 0 }],
    ['encryptedCert', { type: AsnPropTypes.Any, context: 1 }],
  ],
  { type: AsnTypeTypes.Choice },
);

/** CertifiedKeyPair ::= SEQUENCE { certOrEncCert, privateKey [0] OPTIONAL, publicationInfo [1] OPTIONAL } */
export class CertifiedKeyPair {
  certOrEncCert = new CertOrEncCert();
  privateKey?: ArrayBuffer;
  publicationInfo?: ArrayBuffer;
  constructor(params: Partial<CertifiedKeyPair> = {}) {
    Object.assign(this, params);
  }
}
asn1Fields(CertifiedKeyPair, [
  ['certOrEncCert', { type: CertOrEncCert }],
  ['privateKey', { type: AsnPropTypes.Any, context: 0, optional: true }],
  ['publicationInfo', { type: AsnPropTypes.Any, context: 1, optional: true }],
]);

/** CertResponse ::= SEQUENCE { certReqId INTEGER, status PKIStatusInfo, certifiedKeyPair OPT., rspInfo OPT. } */
export class CertResponse {
  certReqId = 0;
  status = new PKIStatusInfo();
  certifiedKeyPair?: CertifiedKeyPair;
  rspInfo?: OctetString;
  constructor(params: Partial<CertResponse> = {}) {
    Object.assign(this, params);
  }
}
asn1Fields(CertResponse, [
  ['certReqId', { type: AsnPropTypes.Integer }],
  ['status', { type: PKIStatusInfo }],
  ['certifiedKeyPair', { type: CertifiedKeyPair, optional: true }],
  ['rspInfo', { type: OctetString, optional: true }],
]);

/** CertRepMessage ::= SEQUENCE { caPubs [1] SEQUENCE OF CMPCertificate OPTIONAL, response SEQUENCE OF CertResponse } */
export class CertRepMessage {
  caPubs?: Certificate[];
  response: CertResponse[] = [];
  constructor(params: Partial<CertRepMessage> = {}) {
    Object.assign(this, params);
  }
}
asn1Fields(CertRepMessage, [
  ['caPubs', { type: Certificate, context: 1, optional: true, repeated: 'sequence' }],
  ['response', { type: CertResponse, repeated: 'sequence' }],
]);

/** CertStatus ::= SEQUENCE { certHash OCTET STRING, certReqId INTEGER, statusInfo OPTIONAL, hashAlg [0] OPTIONAL } */
export class CertStatus {
  certHash = new OctetString();
  certReqId = 0;
  statusInfo?: PKIStatusInfo;
  hashAlg?: AlgorithmIdentifier;
  constructor(params: Partial<CertStatus> = {}) {
    Object.assign(this, params);
  }
}
asn1Fields(CertStatus, [
  ['certHash', { type: OctetString }],
  ['certReqId', { type: AsnPropTypes.Integer }],
  ['statusInfo', { type: PKIStatusInfo, optional: true }],
  ['hashAlg', { type: AlgorithmIdentifier, context: 0, optional: true }],
]);

/** PollReqContent ::= SEQUENCE OF SEQUENCE { certReqId INTEGER } */
export class PollRequest {
  certReqId = 0;
  constructor(params: Partial<PollRequest> = {}) {
    Object.assign(this, params);
  }
}
asn1Fields(PollRequest, [['certReqId', { type: AsnPropTypes.Integer }]]);

/** PollRepContent ::= SEQUENCE OF SEQUENCE { certReqId INTEGER, checkAfter INTEGER, reason PKIFreeText OPTIONAL } */
export class PollResponse {
  certReqId = 0;
  checkAfter = 0;
  reason?: PKIFreeText;
  constructor(params: Partial<PollResponse> = {}) {
    Object.assign(this, params);
  }
}
asn1Fields(PollResponse, [
  ['certReqId', { type: AsnPropTypes.Integer }],
  ['checkAfter', { type: AsnPropTypes.Integer }],
  ['reason', { type: PKIFreeText, optional: true }],
]);

/** ErrorMsgContent ::= SEQUENCE { pKIStatusInfo, errorCode INTEGER OPTIONAL, errorDetails PKIFreeText OPTIONAL } */
export class ErrorMsgContent {
  pKIStatusInfo = new PKIStatusInfo();
  errorCode?: number;
  errorDetails?: PKIFreeText;
  constructor(params: Partial<ErrorMsgContent> = {}) {
    Object.assign(this, params);
  }
}
asn1Fields(ErrorMsgContent, [
  ['pKIStatusInfo', { type: PKIStatusInfo }],
  ['errorCode', { type: AsnPropTypes.Integer, optional: true }],
  ['errorDetails', { type: PKIFreeText, optional: true }],
]);

/**
 * PKIBody ::= CHOICE { …, cp [3] CertRepMessage, p10cr [4] CertificationRequest, …, pkiconf [19]
 * NULL, …, genm [21], genp [22], error [23], certConf [24], pollReq [25], pollRep [26] }. p10cr
 * carries the device's CSR as its DER, byte for byte: its signature covers it, so it is never
 * re-encoded.
 */
export class PKIBody {
  ip?: CertRepMessage;
  cp?: CertRepMessage;
  p10cr?: ArrayBuffer;
  kup?: CertRepMessage;
  pkiconf?: null;
  genm?: InfoTypeAndValue[];
  genp?: InfoTypeAndValue[];
  error?: ErrorMsgContent;
  certConf?: CertStatus[];
  pollReq?: PollRequest[];
  pollRep?: PollResponse[];
  constructor(params: Partial<PKIBody> = {}) {
    Object.assign(this, params);
  }
}
asn1Fields(
  PKIBody,
  [
    ['ip', { type: CertRepMessage, context: 1 }],
    ['cp', { type: CertRepMessage, context: 3 }],
    ['p10cr', { type: AsnPropTypes.Any, context: 4 }],
    ['kup', { type: CertRepMessage, context: 8 }],
    ['pkiconf', { type: AsnPropTypes.Null, context: 19 }],
    ['genm', { type: InfoTypeAndValue, context: 21, repeated: 'sequence' }],
    ['genp', { type: InfoTypeAndValue, context: 22, repeated: 'sequence' }],
    ['error', { type: ErrorMsgContent, context: 23 }],
    ['certConf', { type: CertStatus, context: 24, repeated: 'sequence' }],
    ['pollReq', { type: PollRequest, context: 25, repeated: 'sequence' }],
    ['pollRep', { type: PollResponse, context: 26, repeated: 'sequence' }],
  ],
  { type: AsnTypeTypes.Choice },
);

/** PKIMessage ::= SEQUENCE { header, body, protection [0] BIT STRING OPT., extraCerts [1] SEQ OF CMPCert. OPT. } */
export class PKIMessage {
  header = new PKIHeader();
  body = new PKIBody();
  protection?: BitString;
  extraCerts?: Certificate[];
  constructor(params: Partial<PKIMessage> = {}) {
    Object.assign(this, params);
  }
}
asn1Fields(PKIMessage, [
  ['header', { type: PKIHeader }],
  ['body', { type: PKIBody }],
  ['protection', { type: BitString, context: 0, optional: true }],
  ['extraCerts', { type: Certificate, context: 1, optional: true, repeated: 'sequence' }],
]);

/** PBMParameter ::= SEQUENCE { salt OCTET STRING, owf AlgorithmIdentifier, iterationCount INTEGER, mac AlgId. } */
export class PBMParameter {
  salt = new OctetString();
  owf = new AlgorithmIdentifier();
  iterationCount = 0;
  mac = new AlgorithmIdentifier();
  constructor(params: Partial<PBMParameter> = {}) {
    Object.assign(this, params);
  }
}
asn1Fields(PBMParameter, [
  ['salt', { type: OctetString }],
  ['owf', { type: AlgorithmIdentifier }],
  ['iterationCount', { type: AsnPropTypes.Integer }],
  ['mac', { type: AlgorithmIdentifier }],
]);
