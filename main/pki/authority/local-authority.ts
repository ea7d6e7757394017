// The station's embedded authority, unlocked: it signs device certificates whose contents come
// from the device type (never from the CSR), in the order reserve → sign → store, so a crash can
// neither reuse a serial nor lose a record, and the same CSR never gets a second certificate.
import crypto from 'node:crypto';
import * as asn1js from 'asn1js';
import { EnrollerError } from '../../../shared/errors';
import type { DeviceAttributes, DeviceTypeDocument } from '../../../shared/device-type';
import { x509, type CryptoKey, type SigningAlgorithm } from '../crypto';
import type { AcceptedCsr } from '../csr-intake';
import { certificateOf, keepCertificate } from '../parsed-der';
import { nameDer } from '../name-der';
import type * as asn1X509 from '@peculiar/asn1-x509';
import { CertificateSigner } from './certificate-signer';
import { resolveName } from '../device-type/naming';
import { x509NameKey } from '../subject-attributes';
import { decryptPrivateKey, signingAlgorithmFor, toSigningKey } from './key-vault';
import type { CertificateKind, IssuanceLedger, Reservation, SignedCertificate } from './ledger';
import { randomSerial, type RandomSource } from './serial';
import { fileSigningKey, type CaSigningKey } from './signing-key';

/** The issuing CA's private key, wherever it lives. */
export interface CaKey {
  /** For the X.509 library's own signing (CRLs): a WebCrypto key of `provider` (Node's, or a token's). */
  readonly cryptoKey: CryptoKey;
  readonly provider?: unknown;
  readonly algorithm: SigningAlgorithm;
  readonly signing: CaSigningKey;
}

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const OCSP_SIGNING = '1.3.6.1.5.5.7.3.9';
const OCSP_NO_CHECK = '1.3.6.1.5.5.7.48.1.5';
/** The ledger's device ID for the responder's own certificates, and their common name. */
export const OCSP_RESPONDER = 'Floor Enroller OCSP Responder';
const MAX_SERIAL_DRAWS = 8;
/** Devices' clocks drift; a certificate valid from five minutes ago is not rejected by them. */
const BACKDATE_MS = 5 * 60 * 1000;

export interface AuthorityMaterial {
  readonly root: x509.X509Certificate;
  readonly issuing: x509.X509Certificate;
  /** EncryptedPrivateKeyInfo DER of the issuing CA's key. */
  readonly encryptedIssuingKey: Uint8Array;
}

export interface IssueRequest {
  readonly csr: AcceptedCsr;
  readonly deviceType: DeviceTypeDocument;
  readonly deviceId: string;
  readonly attributes: DeviceAttributes;
  readonly kind?: CertificateKind;
  readonly now?: Date;
}

export interface IssuedDer {
  readonly der: Uint8Array;
  readonly serial: string;
  /** True when this CSR already had its certificate and it was returned, not signed again. */
  readonly alreadyIssued: boolean;
}

export interface Issued {
  readonly certificate: x509.X509Certificate;
  readonly serial: string;
  /** True when this CSR already had its certificate and it was returned, not signed again. */
  readonly alreadyIssued: boolean;
}

export class LocalAuthority {
  readonly root: x509.X509Certificate;
  readonly issuing: x509.X509Certificate;
  readonly fingerprint: string;
  readonly #key: CaKey;
  readonly #algorithm: ReturnType<typeof signingAlgorithmFor> & { hash: string };
  readonly #ledger: IssuanceLedger;
  readonly #random: RandomSource | undefined;
  /** The same for every certificate this CA signs: built once. */
  readonly #authorityKeyId: x509.AuthorityKeyIdentifierExtension;
  readonly #authorityKeyIdAsn: asn1X509.Extension;
  readonly #fixed = new Map<boolean, asn1X509.Extension[]>();
  readonly #pointers = new Map<string, asn1X509.Extension[]>();
  readonly #signer: CertificateSigner;

  private constructor(
    material: Pick<AuthorityMaterial, 'root' | 'issuing'>,
    key: CaKey,
    ledger: IssuanceLedger,
    authorityKeyId: x509.AuthorityKeyIdentifierExtension,
    random?: RandomSource,
  ) {
    this.root = material.root;
    this.issuing = material.issuing;
    this.fingerprint = fingerprintOf(material.issuing);
    this.#key = key;
    this.#algorithm = { ...key.algorithm, hash: 'SHA-256' };
    this.#ledger = ledger;
    this.#random = random;
    this.#authorityKeyId = authorityKeyId;
    this.#authorityKeyIdAsn = CertificateSigner.extension(authorityKeyId);
    this.#signer = new CertificateSigner(material.issuing, key.signing);
  }

  /**
   * This authority with its key signing another way — on a bulk run's workers (crypto-workers.ts)
   * — and everything else shared: the same certificates, ledger and serial source.
   */
  signingWith(signing: CaSigningKey): LocalAuthority {
    const key = { ...this.#key, signing };
    return new LocalAuthority(this, key, this.#ledger, this.#authorityKeyId, this.#random);
  }

  /** The issuing key as a KeyObject of this process, when it is the station's own (not in a token). */
  fileKey(): crypto.KeyObject | undefined {
    if (this.#key.provider !== undefined) return undefined;
    return crypto.KeyObject.from(this.#key.cryptoKey as Parameters<typeof crypto.KeyObject.from>[0]);
  }

  /** An authority whose issuing key is somewhere else than the encrypted file (a PKCS#11 token). */
  static async withKey(
    material: Pick<AuthorityMaterial, 'root' | 'issuing'>,
    key: CaKey,
    ledger: IssuanceLedger,
  ): Promise<LocalAuthority> {
    const authorityKeyId = await x509.AuthorityKeyIdentifierExtension.create(material.issuing);
    return new LocalAuthority(material, key, ledger, authorityKeyId);
  }

  static async unlock(
    material: AuthorityMaterial,
    passphrase: string,
    ledger: IssuanceLedger,
    random?: RandomSource,
  ): Promise<LocalAuthority> {
    const keyObject = await decryptPrivateKey(material.encryptedIssuingKey, passphrase);
    const publicFromKey = crypto.createPublicKey(keyObject).export({ format: 'der', type: 'spki' });
    if (!Buffer.from(material.issuing.publicKey.rawData).equals(publicFromKey)) {
      throw new EnrollerError('CA_IMPORT_INVALID', "The issuing CA's key does not belong to its certificate.");
    }
    const authorityKeyId = await x509.AuthorityKeyIdentifierExtension.create(material.issuing);
    const cryptoKey = await toSigningKey(keyObject);
    const key = { cryptoKey, algorithm: signingAlgorithmFor(keyObject), signing: fileSigningKey(cryptoKey) };
    return new LocalAuthority(material, key, ledger, authorityKeyId, random);
  }

  async issue(request: IssueRequest): Promise<Issued> {
    const { der, serial, alreadyIssued } = await this.#issue(request, 'object');
    return { certificate: certificateOf(der), serial, alreadyIssued };
  }

  /** As `issue`, the certificate as DER: a bulk run writes it out and never needs it as an object. */
  issueDer(request: IssueRequest): Promise<IssuedDer> {
    return this.#issue(request, 'der');
  }

  /** Reserve → sign → store; `object`: the certificate object is made as it is signed (certificateOf finds it). */
  async #issue(request: IssueRequest, wanted: 'der' | 'object'): Promise<IssuedDer> {
    const csrSha256 = crypto.hash('sha256', request.csr.der, 'hex');
    const kind = request.kind ?? request.deviceType.certificate.kind;
    const existing = this.#ledger.findByCsr(this.fingerprint, csrSha256);
    if (existing && existing.deviceId !== request.deviceId) {
      throw new EnrollerError(
        'CSR_DUPLICATE_KEY',
        `This request was already used by device ${existing.deviceId}; two devices never share a key or a request.`,
        {
          owner: existing.deviceId,
          deviceId: request.deviceId,
        },
      );
    }
    if (existing?.der) return { der: existing.der, serial: existing.serial, alreadyIssued: true };

    const serial =
      existing?.serial ??
      this.#reserveSerial({
        deviceId: request.deviceId,
        csrSha256,
        keyFingerprint: request.csr.keyFingerprint,
        kind,
      });
    const { der, notBefore, notAfter } = await this.#sign(request, serial, kind, wanted);
    this.#ledger.complete(serial, der, notBefore, notAfter);
    return { der, serial, alreadyIssued: false };
  }

  /**
   * For a device and a key the station has never met (a bulk run's fast lane): signed first, then
   * handed to `record`, which puts it on the ledger together with the job that holds it, in the
   * caller's open transaction — or answers false and records nothing. A certificate not recorded
   * is not returned: it never leaves the station.
   */
  async issueFresh(
    request: IssueRequest,
    record: (signed: SignedCertificate) => boolean,
  ): Promise<SignedCertificate | undefined> {
    const kind = request.kind ?? request.deviceType.certificate.kind;
    const serial = randomSerial(this.#random);
    const { der, notBefore, notAfter } = await this.#sign(request, serial, kind);
    const csrSha256 = crypto.hash('sha256', request.csr.der, 'hex');
    const signed = { der, serial, issuerFingerprint: this.fingerprint, issuer: this.issuing.subject, kind, csrSha256 };
    const certificate = { ...signed, notBefore, notAfter };
    return record(certificate) ? certificate : undefined;
  }

  /** A fresh serial, reserved on the ledger before anything is signed with it. */
  #reserveSerial(fields: Omit<Reservation, 'serial' | 'issuerFingerprint'>): string {
    for (let draw = 0; draw < MAX_SERIAL_DRAWS; draw++) {
      const candidate = randomSerial(this.#random);
      if (this.#ledger.reserve({ ...fields, serial: candidate, issuerFingerprint: this.fingerprint })) return candidate;
    }
    throw new EnrollerError(
      'CA_SERIAL_EXHAUSTED',
      'Could not draw an unused serial number; the ledger may be damaged.',
    );
  }

  /**
   * A delegated OCSP-signing certificate (RFC 6960 §4.2.2.2) for a responder key made just now: short-lived,
   * id-kp-OCSPSigning, and id-pkix-ocsp-nocheck (relying parties do not ask about the responder itself).
   */
  async issueOcspSigner(spki: Uint8Array, validDays: number, now = new Date()): Promise<x509.X509Certificate> {
    const keyFingerprint = crypto.hash('sha256', spki, 'hex');
    const serial = this.#reserveSerial({
      deviceId: OCSP_RESPONDER,
      csrSha256: keyFingerprint,
      keyFingerprint,
      kind: 'ocsp-signing',
    });
    const extensions = [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([OCSP_SIGNING], false),
      new x509.Extension(OCSP_NO_CHECK, false, new Uint8Array([0x05, 0x00])),
    ].map((extension) => CertificateSigner.extension(extension));
    const notAfter = new Date(Math.min(now.getTime() + validDays * 86_400_000, this.issuing.notAfter.getTime()));
    const certificate = await this.#signer.sign({
      serial,
      // The issuing CA's organisation, with the responder's own common name.
      subject: new x509.Name([
        { CN: [OCSP_RESPONDER] },
        ...this.issuing.subjectName.toJSON().filter((rdn) => !('CN' in rdn)),
      ]),
      notBefore: new Date(now.getTime() - BACKDATE_MS),
      notAfter,
      spki,
      extensions: [...extensions, 'ski', this.#authorityKeyIdAsn],
    });
    this.#ledger.complete(serial, new Uint8Array(certificate.rawData), certificate.notBefore, certificate.notAfter);
    return certificate;
  }

  async #sign(
    request: IssueRequest,
    serial: string,
    kind: CertificateKind,
    wanted: 'der' | 'object' = 'der',
  ): Promise<{ der: Uint8Array; notBefore: Date; notAfter: Date }> {
    const now = request.now ?? new Date();
    const { subject, sans } = resolveName(
      request.deviceType,
      { ...request.attributes, deviceId: request.deviceId },
      request.csr.subjectFields,
    );
    const days =
      kind === 'birth'
        ? Math.min(request.deviceType.certificate.validityDays, request.deviceType.offline.birthMaxValidityDays)
        : request.deviceType.certificate.validityDays;
    const notBefore = new Date(now.getTime() - BACKDATE_MS);
    const notAfter = new Date(Math.min(now.getTime() + days * 86_400_000, this.issuing.notAfter.getTime()));
    const isRsa = request.csr.keyAlgorithm.startsWith('rsa');
    const extensions: Array<asn1X509.Extension | 'ski'> = [
      ...this.#fixedExtensions(isRsa),
      'ski',
      this.#authorityKeyIdAsn,
    ];
    if (sans.length > 0) {
      const san = new x509.SubjectAlternativeNameExtension(sans.map((s) => ({ type: s.type, value: s.value })));
      extensions.push(CertificateSigner.extension(san));
    }
    extensions.push(...this.#revocationPointers(request.deviceType.certificate));
    const contents = {
      serial,
      subject:
        nameDer(subject) ?? new x509.Name(subject.map(([attribute, value]) => ({ [x509NameKey(attribute)]: [value] }))),
      notBefore,
      notAfter,
      spki: request.csr.publicKeySpki,
      extensions,
    };
    if (wanted === 'der') return { der: await this.#signer.signDer(contents), notBefore, notAfter };
    const { der, certificate } = await this.#signer.signed(contents);
    keepCertificate(der, certificate);
    return { der, notBefore, notAfter };
  }

  /** CA:FALSE (critical), digitalSignature (+ keyEncipherment for RSA keys, critical), EKU clientAuth. */
  #fixedExtensions(isRsa: boolean): asn1X509.Extension[] {
    let fixed = this.#fixed.get(isRsa);
    if (!fixed) {
      const usage = x509.KeyUsageFlags.digitalSignature | (isRsa ? x509.KeyUsageFlags.keyEncipherment : 0);
      fixed = [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(usage, true),
        new x509.ExtendedKeyUsageExtension([CLIENT_AUTH], false),
      ].map((extension) => CertificateSigner.extension(extension));
      this.#fixed.set(isRsa, fixed);
    }
    return fixed;
  }

  /** Where a relying party checks revocation, as the device type names it (made once per URL pair). */
  #revocationPointers(certificate: {
    crlUrl?: string | undefined;
    ocspUrl?: string | undefined;
  }): asn1X509.Extension[] {
    const { crlUrl, ocspUrl } = certificate;
    if (!crlUrl && !ocspUrl) return [];
    const key = `${crlUrl ?? ''} ${ocspUrl ?? ''}`;
    let made = this.#pointers.get(key);
    if (!made) {
      made = [
        ...(crlUrl ? [new x509.CRLDistributionPointsExtension([crlUrl])] : []),
        ...(ocspUrl ? [new x509.AuthorityInfoAccessExtension({ ocsp: ocspUrl })] : []),
      ].map((extension) => CertificateSigner.extension(extension));
      this.#pointers.set(key, made);
    }
    return made;
  }

  /** CA chain as PEM: issuing CA first, then the root (DESIGN.md `ca export`). */
  chainPem(): string {
    return `${this.issuing.toString('pem')}\n${this.root.toString('pem')}\n`;
  }

  async revoke(serial: string, reason = 0, now = new Date()): Promise<void> {
    this.#ledger.revoke(serial, reason, now);
  }

  async crl(now = new Date(), nextUpdateHours = 24 * 7): Promise<x509.X509Crl> {
    const number = this.#ledger.nextCrlNumber(this.fingerprint);
    return x509.X509CrlGenerator.create(
      {
        issuer: this.issuing.subject,
        thisUpdate: now,
        nextUpdate: new Date(now.getTime() + nextUpdateHours * 3_600_000),
        entries: this.#ledger
          .revokedBy(this.fingerprint)
          .map((r) => ({ serialNumber: r.serial, revocationDate: r.revokedAt, reason: r.reason })),
        signingKey: this.#key.cryptoKey as never,
        signingAlgorithm: this.#algorithm,
        extensions: [new x509.Extension('2.5.29.20', false, crlNumberDer(number)), this.#authorityKeyId],
      },
      this.#key.provider as never,
    );
  }
}

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING's bits. */
export function keyIdentifier(spki: Uint8Array): string {
  const bits = asn1js.fromBER(spki).result as asn1js.Sequence;
  const publicKey = bits.valueBlock.value[1] as asn1js.BitString;
  return crypto.createHash('sha1').update(publicKey.valueBlock.valueHexView).digest('hex');
}

export function fingerprintOf(certificate: x509.X509Certificate): string {
  return crypto.createHash('sha256').update(new Uint8Array(certificate.rawData)).digest('hex');
}

function crlNumberDer(number: number): Uint8Array {
  const bytes: number[] = [];
  for (let n = number; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  if (bytes.length === 0 || bytes[0]! & 0x80) bytes.unshift(0);
  return Uint8Array.of(0x02, bytes.length, ...bytes);
}
