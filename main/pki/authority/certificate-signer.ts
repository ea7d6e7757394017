// Signs device certificates for the station CA, built from @peculiar/asn1-x509's structures
// directly. The X.509 library's generator (X509CertificateGenerator) does the same and then parses
// its own output back, re-parses every extension it was given, and is the larger part of what a
// certificate costs the station (#18). Here the parts that are the same for every certificate (the
// issuer's name, the signature algorithm, the fixed extensions) are built once, the signature runs
// on Node's thread pool, and the certificate object is made from the structure it was built from.
// Its TBSCertificate is byte for byte what the generator makes (certificate-signer.test.ts).
import crypto from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import * as asn1X509 from '@peculiar/asn1-x509';
import { x509, type CryptoKey } from '../crypto';

const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
const SHA256_WITH_RSA = '1.2.840.113549.1.1.11';
const DER_NULL = new Uint8Array([0x05, 0x00]).buffer;
const SUBJECT_KEY_IDENTIFIER = '2.5.29.14';

export interface CertificateContents {
  /** Hex, as drawn (positive; a leading zero is added when the top bit is set). */
  readonly serial: string;
  readonly subject: x509.Name;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly spki: Uint8Array;
  /** The extensions in order; the subject key identifier is made here and goes where `ski` is. */
  readonly extensions: ReadonlyArray<asn1X509.Extension | 'ski'>;
}

/** A certificate whose DER is the one just signed: nothing to serialize or parse again. */
class SignedCertificate extends x509.X509Certificate {
  readonly #der: ArrayBuffer;

  constructor(asn: asn1X509.Certificate, der: ArrayBuffer) {
    super(asn);
    this.#der = der;
  }

  override get rawData(): ArrayBuffer {
    return this.#der;
  }
}

export class CertificateSigner {
  readonly #issuer: asn1X509.Name;
  readonly #algorithm: asn1X509.AlgorithmIdentifier;
  readonly #key: crypto.KeyObject;

  constructor(issuing: x509.X509Certificate, key: CryptoKey) {
    // Exactly the issuing certificate's own subject, so the name chains byte for byte.
    this.#issuer = AsnConvert.parse(issuing.subjectName.toArrayBuffer(), asn1X509.Name);
    this.#key = crypto.KeyObject.from(key as Parameters<typeof crypto.KeyObject.from>[0]);
    const rsa = this.#key.asymmetricKeyType === 'rsa';
    this.#algorithm = new asn1X509.AlgorithmIdentifier(
      rsa ? { algorithm: SHA256_WITH_RSA, parameters: DER_NULL } : { algorithm: ECDSA_WITH_SHA256 },
    );
  }

  /** An X.509 library extension as the ASN.1 structure, once (for the fixed ones). */
  static extension(extension: x509.Extension): asn1X509.Extension {
    return AsnConvert.parse(extension.rawData, asn1X509.Extension);
  }

  async sign(contents: CertificateContents): Promise<x509.X509Certificate> {
    const spki = AsnConvert.parse(contents.spki, asn1X509.SubjectPublicKeyInfo);
    const extensions = contents.extensions.map((e) => (e === 'ski' ? subjectKeyIdentifier(spki) : e));
    const tbsCertificate = new asn1X509.TBSCertificate({
      version: asn1X509.Version.v3,
      serialNumber: positiveInteger(contents.serial),
      signature: this.#algorithm,
      issuer: this.#issuer,
      validity: new asn1X509.Validity({ notBefore: contents.notBefore, notAfter: contents.notAfter }),
      subject: AsnConvert.parse(contents.subject.toArrayBuffer(), asn1X509.Name),
      subjectPublicKeyInfo: spki,
      extensions: new asn1X509.Extensions(extensions),
    });
    const tbs = AsnConvert.serialize(tbsCertificate);
    const signature = await new Promise<Buffer>((resolve, reject) =>
      crypto.sign('sha256', new Uint8Array(tbs), { key: this.#key, dsaEncoding: 'der' }, (error, sig) =>
        error ? reject(error) : resolve(sig),
      ),
    );
    const certificate = new asn1X509.Certificate({
      tbsCertificate,
      signatureAlgorithm: this.#algorithm,
      signatureValue: new Uint8Array(signature).buffer,
    });
    return new SignedCertificate(certificate, AsnConvert.serialize(certificate));
  }
}

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING's bits. */
function subjectKeyIdentifier(spki: asn1X509.SubjectPublicKeyInfo): asn1X509.Extension {
  const id = crypto.createHash('sha1').update(new Uint8Array(spki.subjectPublicKey)).digest();
  return new asn1X509.Extension({
    extnID: SUBJECT_KEY_IDENTIFIER,
    critical: false,
    extnValue: new OctetString(AsnConvert.serialize(new asn1X509.SubjectKeyIdentifier(id))),
  });
}

function positiveInteger(hex: string): ArrayBuffer {
  const bytes = Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
  return new Uint8Array(bytes[0]! & 0x80 ? Buffer.concat([Buffer.of(0), bytes]) : bytes).buffer;
}
