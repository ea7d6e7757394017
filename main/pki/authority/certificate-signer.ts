// Signs device certificates for the station CA, built from @peculiar/asn1-x509's structures
// directly. The X.509 library's generator (X509CertificateGenerator) does the same and then parses
// its own output back, re-parses every extension it was given, and is the larger part of what a
// certificate costs the station (#18). Here the parts that are the same for every certificate (the
// issuer's name, the signature algorithm, the fixed extensions) are encoded once and each
// certificate's DER is those encodings framed together with its own (serial, validity, subject, key):
// nothing is encoded twice. The signature runs on Node's thread pool, and the certificate object is
// made from the structure it was built from. Its TBSCertificate is byte for byte what the generator
// makes (certificate-signer.test.ts).
import crypto from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import * as asn1X509 from '@peculiar/asn1-x509';
import { x509 } from '../crypto';
import type { CaSigningKey } from './signing-key';
import { DER_SEQUENCE, derTlv } from '../der';

const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
const SHA256_WITH_RSA = '1.2.840.113549.1.1.11';
const DER_NULL = new Uint8Array([0x05, 0x00]).buffer;
const SUBJECT_KEY_IDENTIFIER = '2.5.29.14';
const DER_INTEGER = 0x02;
const DER_BIT_STRING = 0x03;
/** [0] EXPLICIT Version v3, and [3] EXPLICIT Extensions (RFC 5280 §4.1). */
const VERSION_V3 = Uint8Array.of(0xa0, 0x03, 0x02, 0x01, 0x02);
const EXTENSIONS_TAG = 0xa3;

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
  readonly #issuerDer: Uint8Array;
  readonly #algorithm: asn1X509.AlgorithmIdentifier;
  readonly #algorithmDer: Uint8Array;
  readonly #key: CaSigningKey;
  /** The DER of each extension object passed in (the fixed ones are the same objects every time). */
  readonly #encoded = new WeakMap<asn1X509.Extension, Uint8Array>();

  constructor(issuing: x509.X509Certificate, key: CaSigningKey) {
    // Exactly the issuing certificate's own subject, so the name chains byte for byte.
    this.#issuerDer = new Uint8Array(issuing.subjectName.toArrayBuffer());
    this.#issuer = AsnConvert.parse(this.#issuerDer, asn1X509.Name);
    this.#key = key;
    const rsa = key.kind === 'rsa';
    this.#algorithm = new asn1X509.AlgorithmIdentifier(
      rsa ? { algorithm: SHA256_WITH_RSA, parameters: DER_NULL } : { algorithm: ECDSA_WITH_SHA256 },
    );
    this.#algorithmDer = new Uint8Array(AsnConvert.serialize(this.#algorithm));
  }

  /** An X.509 library extension as the ASN.1 structure, once (for the fixed ones). */
  static extension(extension: x509.Extension): asn1X509.Extension {
    return AsnConvert.parse(extension.rawData, asn1X509.Extension);
  }

  async sign(contents: CertificateContents): Promise<x509.X509Certificate> {
    const spki = AsnConvert.parse(contents.spki, asn1X509.SubjectPublicKeyInfo);
    const extensions = contents.extensions.map((e) => (e === 'ski' ? subjectKeyIdentifier(spki) : e));
    const serial = positiveInteger(contents.serial);
    const validity = new asn1X509.Validity({ notBefore: contents.notBefore, notAfter: contents.notAfter });
    const subjectDer = new Uint8Array(contents.subject.toArrayBuffer());
    const tbs = derTlv(
      DER_SEQUENCE,
      VERSION_V3,
      derTlv(DER_INTEGER, new Uint8Array(serial)),
      this.#algorithmDer,
      this.#issuerDer,
      new Uint8Array(AsnConvert.serialize(validity)),
      subjectDer,
      contents.spki,
      derTlv(EXTENSIONS_TAG, derTlv(DER_SEQUENCE, ...extensions.map((e) => this.#der(e)))),
    );
    const signature = await this.#key.sign(tbs);
    const certificate = new asn1X509.Certificate({
      tbsCertificate: new asn1X509.TBSCertificate({
        version: asn1X509.Version.v3,
        serialNumber: serial,
        signature: this.#algorithm,
        issuer: this.#issuer,
        validity,
        subject: AsnConvert.parse(subjectDer, asn1X509.Name),
        subjectPublicKeyInfo: spki,
        extensions: new asn1X509.Extensions(extensions),
      }),
      signatureAlgorithm: this.#algorithm,
      signatureValue: new Uint8Array(signature).buffer,
    });
    // A BIT STRING of whole bytes: no unused bits.
    const der = derTlv(DER_SEQUENCE, tbs, this.#algorithmDer, derTlv(DER_BIT_STRING, Uint8Array.of(0), signature));
    return new SignedCertificate(certificate, der.buffer as ArrayBuffer);
  }

  #der(extension: asn1X509.Extension): Uint8Array {
    let der = this.#encoded.get(extension);
    if (!der) {
      der = new Uint8Array(AsnConvert.serialize(extension));
      this.#encoded.set(extension, der);
    }
    return der;
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
