// CSRs and self-signed certificates for a key the station cannot touch: the structure is encoded
// here (with the @peculiar ASN.1 schemas), and only its bytes go to the key's holder — a TPM —
// to be signed. Used for TPM-resident keys and for SCEP's signer certificate.
import { AsnConvert } from '@peculiar/asn1-schema';
import { Attributes, CertificationRequest, CertificationRequestInfo } from '@peculiar/asn1-csr';
import {
  AlgorithmIdentifier,
  Attribute,
  AttributeTypeAndValue,
  AttributeValue,
  Certificate,
  Extension,
  Extensions,
  Name,
  RelativeDistinguishedName,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
} from '@peculiar/asn1-x509';
import { randomSerial, serialOctets } from './authority/serial';
import { x509 } from './crypto';
import { derTlv, DER_NULL, DER_PRINTABLE_STRING, DER_UTF8_STRING, isPrintableString } from './der';
import { SUBJECT_ATTRIBUTE_OIDS } from './subject-attributes';

export interface ExternalSigner {
  readonly algorithm: 'ec-p256' | 'rsa-2048';
  /** SubjectPublicKeyInfo DER of the key that signs. */
  readonly spki: Uint8Array;
  /** A signature over SHA-256(data): DER ECDSA-Sig-Value, or PKCS#1 v1.5 for RSA. */
  sign(data: Uint8Array): Promise<Uint8Array>;
}

const OID = {
  challengePassword: '1.2.840.113549.1.9.7',
  extensionRequest: '1.2.840.113549.1.9.14',
  subjectAltName: '2.5.29.17',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  sha256WithRsa: '1.2.840.113549.1.1.11',
} as const;

/** A Name from ordered (attribute, value) pairs; country and serialNumber as PrintableString (X.520). */
export function nameOf(subject: ReadonlyArray<readonly [string, string]>): Name {
  return new Name(
    subject.map(([attribute, value]) => {
      const type = SUBJECT_ATTRIBUTE_OIDS[attribute];
      if (!type) throw new Error(`unknown subject attribute ${attribute}`);
      const printable = (attribute === 'C' || attribute === 'serialNumber') && isPrintableString(value);
      return new RelativeDistinguishedName([
        new AttributeTypeAndValue({
          type,
          value: new AttributeValue(printable ? { printableString: value } : { utf8String: value }),
        }),
      ]);
    }),
  );
}

function signatureAlgorithm(signer: ExternalSigner): AlgorithmIdentifier {
  return signer.algorithm === 'rsa-2048'
    ? new AlgorithmIdentifier({ algorithm: OID.sha256WithRsa, parameters: DER_NULL.slice().buffer })
    : new AlgorithmIdentifier({ algorithm: OID.ecdsaWithSha256 });
}

/** DER string for a challenge password: PrintableString when it can be, else UTF8String. */
function directoryString(value: string): ArrayBuffer {
  const tag = isPrintableString(value) ? DER_PRINTABLE_STRING : DER_UTF8_STRING;
  return derTlv(tag, Buffer.from(value, 'utf8')).slice().buffer;
}

export interface CsrRequest {
  readonly signer: ExternalSigner;
  readonly subject: ReadonlyArray<readonly [string, string]>;
  readonly sans?: ReadonlyArray<{ type: 'dns' | 'url' | 'email'; value: string }>;
  /** The enrollment code (SCEP challenge, INeS one-time code). */
  readonly challengePassword?: string | undefined;
}

/** A PKCS#10 request for the signer's key, signed by it. */
export async function buildCsr(request: CsrRequest): Promise<Uint8Array> {
  const attributes: Attribute[] = [];
  if (request.challengePassword)
    attributes.push(
      new Attribute({ type: OID.challengePassword, values: [directoryString(request.challengePassword)] }),
    );
  if (request.sans && request.sans.length > 0) {
    const san = new x509.SubjectAlternativeNameExtension(request.sans.map((s) => ({ type: s.type, value: s.value })));
    const extensions = new Extensions([AsnConvert.parse(san.rawData, Extension)]);
    attributes.push(new Attribute({ type: OID.extensionRequest, values: [AsnConvert.serialize(extensions)] }));
  }
  const info = new CertificationRequestInfo({
    subject: nameOf(request.subject),
    subjectPKInfo: AsnConvert.parse(request.signer.spki.slice().buffer, SubjectPublicKeyInfo),
    attributes: new Attributes(attributes),
  });
  const toSign = new Uint8Array(AsnConvert.serialize(info));
  const signature = await request.signer.sign(toSign);
  const csr = new CertificationRequest({
    certificationRequestInfo: info,
    signatureAlgorithm: signatureAlgorithm(request.signer),
    signature: signature.slice().buffer,
  });
  return new Uint8Array(AsnConvert.serialize(csr));
}

/** A short-lived self-signed certificate for the signer's key (SCEP's requester certificate). */
export async function selfSignedCertificate(
  signer: ExternalSigner,
  commonName: string,
  validityMs = 86_400_000,
): Promise<x509.X509Certificate> {
  const name = nameOf([['CN', commonName]]);
  const now = Date.now();
  // A positive DER INTEGER with no superfluous leading zero octet: random bytes with only the top
  // bit cleared start with 0x00 now and then, which OpenSSL refuses ("illegal padding").
  const serial = serialOctets(randomSerial());
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: serial.slice().buffer,
    signature: signatureAlgorithm(signer),
    issuer: name,
    validity: new Validity({ notBefore: new Date(now - 3_600_000), notAfter: new Date(now + validityMs) }),
    subject: name,
    subjectPublicKeyInfo: AsnConvert.parse(signer.spki.slice().buffer, SubjectPublicKeyInfo),
  });
  const signature = await signer.sign(new Uint8Array(AsnConvert.serialize(tbs)));
  const certificate = new Certificate({
    tbsCertificate: tbs,
    signatureAlgorithm: signatureAlgorithm(signer),
    signatureValue: signature.slice().buffer,
  });
  return new x509.X509Certificate(AsnConvert.serialize(certificate));
}
