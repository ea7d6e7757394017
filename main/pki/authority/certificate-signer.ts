// Signs device certificates for the station CA by DER framing. The X.509 library's generator
// (X509CertificateGenerator) builds an object tree, encodes it, parses its own output back and
// re-parses every extension it was given; that was the larger part of what a certificate cost the
// station (#18). Here the parts that are the same for every certificate (the issuer's name, the
// signature algorithm, the fixed extensions) are encoded once, and each certificate's DER is those
// encodings framed together with its own (serial, validity, subject, key, key identifier): nothing
// is encoded twice and nothing is parsed. The signature runs on Node's thread pool. Its
// TBSCertificate is byte for byte what the generator makes (certificate-signer.test.ts). Where the
// caller wants the library's object too (`signed`), it is put together from the same parts.
import crypto from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import * as asn1X509 from '@peculiar/asn1-x509';
import { x509 } from '../crypto';
import type { CaSigningKey } from './signing-key';
import {
  childrenOf,
  DER_BIT_STRING,
  DER_INTEGER,
  DER_NULL,
  DER_OCTET_STRING,
  DER_SEQUENCE,
  derTlv,
  readTlv,
} from '../der';
import { validityDer } from '../name-der';
import { serialOctets } from './serial';

const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
const SHA256_WITH_RSA = '1.2.840.113549.1.1.11';
/** OBJECT IDENTIFIER 2.5.29.14 (subjectKeyIdentifier). */
const SKI_OID = Uint8Array.of(0x06, 0x03, 0x55, 0x1d, 0x0e);
/** [0] EXPLICIT Version v3, and [3] EXPLICIT Extensions (RFC 5280 §4.1). */
const VERSION_V3 = Uint8Array.of(0xa0, 0x03, 0x02, 0x01, 0x02);
const EXTENSIONS_TAG = 0xa3;

export interface CertificateContents {
  /** Hex, as drawn (positive; a leading zero is added when the top bit is set). */
  readonly serial: string;
  /** The subject, or its DER when the caller encoded it (name-der.ts). */
  readonly subject: x509.Name | Uint8Array;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly spki: Uint8Array;
  /** The extensions in order; the subject key identifier is made here and goes where `ski` is. */
  readonly extensions: ReadonlyArray<asn1X509.Extension | 'ski'>;
}

/** A certificate's contents encoded: what is framed into its TBSCertificate. */
interface CertificateParts {
  readonly contents: CertificateContents;
  readonly serial: Uint8Array;
  readonly subject: Uint8Array;
  /** Each extension's DER, in order. */
  readonly extensions: Uint8Array[];
}

export class CertificateSigner {
  readonly #issuerDer: Uint8Array;
  readonly #issuer: asn1X509.Name;
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
      rsa ? { algorithm: SHA256_WITH_RSA, parameters: DER_NULL.slice().buffer } : { algorithm: ECDSA_WITH_SHA256 },
    );
    this.#algorithmDer = new Uint8Array(AsnConvert.serialize(this.#algorithm));
  }

  /** An X.509 library extension as the ASN.1 structure, once (for the fixed ones). */
  static extension(extension: x509.Extension): asn1X509.Extension {
    return AsnConvert.parse(extension.rawData, asn1X509.Extension);
  }

  async sign(contents: CertificateContents): Promise<x509.X509Certificate> {
    return (await this.signed(contents)).certificate;
  }

  /** The signed certificate's DER, framed from its parts: nothing parsed, nothing encoded twice. */
  async signDer(contents: CertificateContents): Promise<Uint8Array> {
    const { tbs, signature } = await this.#signParts(this.#parts(contents));
    return this.#certificateDer(tbs, signature);
  }

  /**
   * The signed certificate as DER and as the X.509 library's object, the object put together from
   * the same parts (only the subject, the key and the key identifier are read into it): parsing the
   * whole certificate back took a cold station over a millisecond, for each of sixteen devices at
   * once (#18). Its `rawData` is the DER that was signed, never a re-encoding of the parts.
   */
  async signed(contents: CertificateContents): Promise<{ der: Uint8Array; certificate: x509.X509Certificate }> {
    const parts = this.#parts(contents);
    const { tbs, signature } = await this.#signParts(parts);
    const der = this.#certificateDer(tbs, signature);
    const tbsCertificate = new asn1X509.TBSCertificate({
      version: asn1X509.Version.v3,
      serialNumber: arrayBufferOf(parts.serial),
      signature: this.#algorithm,
      issuer: this.#issuer,
      validity: new asn1X509.Validity({ notBefore: contents.notBefore, notAfter: contents.notAfter }),
      subject: AsnConvert.parse(parts.subject, asn1X509.Name),
      subjectPublicKeyInfo: AsnConvert.parse(contents.spki, asn1X509.SubjectPublicKeyInfo),
      extensions: new asn1X509.Extensions(
        contents.extensions.map((e, i) =>
          e === 'ski' ? AsnConvert.parse(parts.extensions[i]!, asn1X509.Extension) : e,
        ),
      ),
    });
    const asn = new asn1X509.Certificate({
      tbsCertificate,
      tbsCertificateRaw: arrayBufferOf(tbs),
      signatureAlgorithm: this.#algorithm,
      signatureValue: arrayBufferOf(signature),
    });
    return { der, certificate: withRawData(new x509.X509Certificate(asn), der) };
  }

  #parts(contents: CertificateContents): CertificateParts {
    const subject =
      contents.subject instanceof Uint8Array ? contents.subject : new Uint8Array(contents.subject.toArrayBuffer());
    const extensions = contents.extensions.map((e) =>
      e === 'ski' ? subjectKeyIdentifier(contents.spki) : this.#der(e),
    );
    return { contents, serial: serialOctets(contents.serial), subject, extensions };
  }

  /** The TBSCertificate framed from its parts, and signed (on Node's thread pool). */
  async #signParts(parts: CertificateParts): Promise<{ tbs: Uint8Array; signature: Uint8Array }> {
    const tbs = derTlv(
      DER_SEQUENCE,
      VERSION_V3,
      derTlv(DER_INTEGER, parts.serial),
      this.#algorithmDer,
      this.#issuerDer,
      validityDer(parts.contents.notBefore, parts.contents.notAfter),
      parts.subject,
      parts.contents.spki,
      derTlv(EXTENSIONS_TAG, derTlv(DER_SEQUENCE, ...parts.extensions)),
    );
    return { tbs, signature: await this.#key.sign(tbs) };
  }

  #certificateDer(tbs: Uint8Array, signature: Uint8Array): Uint8Array {
    // A BIT STRING of whole bytes: no unused bits.
    return derTlv(DER_SEQUENCE, tbs, this.#algorithmDer, derTlv(DER_BIT_STRING, Uint8Array.of(0), signature));
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

/** The subjectKeyIdentifier extension, RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING's bits. */
function subjectKeyIdentifier(spki: Uint8Array): Uint8Array {
  const outer = readTlv(spki, 0);
  const bits = outer && childrenOf(spki, outer)?.[1];
  if (!bits || bits.tag !== DER_BIT_STRING) throw new Error('The public key has no BIT STRING to identify it by.');
  const id = crypto.hash('sha1', spki.subarray(bits.contentStart + 1, bits.end), 'buffer');
  return derTlv(DER_SEQUENCE, SKI_OID, derTlv(DER_OCTET_STRING, derTlv(DER_OCTET_STRING, id)));
}

function arrayBufferOf(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/**
 * The library's object answers `rawData` with the bytes that were signed. Made from an ASN.1
 * structure, it would otherwise encode the structure again on first use: the same bytes when the
 * parts are right (certificate-signer.test.ts checks both), but a second encoding all the same.
 */
function withRawData(certificate: x509.X509Certificate, der: Uint8Array): x509.X509Certificate {
  Object.defineProperty(certificate, 'rawData', { value: arrayBufferOf(der), enumerable: true });
  return certificate;
}
