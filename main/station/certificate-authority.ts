// The station's embedded CA as the station manages it: created or imported once, its keys
// encrypted at rest, unlocked by a passphrase for as long as the process needs it.
import crypto from 'node:crypto';
import { EnrollerError } from '../../shared/errors';
import { x509, webcrypto } from '../pki/crypto';
import { createCa, pkcs8Of, type CaInitOptions } from '../pki/authority/ca-init';
import { immediately } from '../store/immediately';
import { createCaInToken, tokenPrivateKey, unlockFromToken, type KeyLocation } from './token-ca';
import { decryptPrivateKey, encryptPrivateKey, signingAlgorithmFor, toSigningKey } from '../pki/authority/key-vault';
import { fingerprintOf, LocalAuthority } from '../pki/authority/local-authority';
import { readPkcs12 } from '../pki/authority/pkcs12';
import { certificateOf } from '../pki/parsed-der';
import { pemCertificateBlocks } from '../pki/pem';
import { randomSerial } from '../pki/authority/serial';
import type { AuditLog } from '../store/audit-log';
import { AuthorityStore, type AuthorityRole, type StoredAuthority } from '../store/authority-store';
import type { Db } from '../store/database';
import { SqliteIssuanceLedger } from '../store/issuance-ledger';

export interface CaStatus {
  readonly initialized: boolean;
  /** Where the issuing key lives: the encrypted file, or a PKCS#11 token (label, serial, URI). */
  readonly key?: { location: 'file' | 'pkcs11'; token?: string; serial?: string; uri?: string };
  readonly root?: { subject: string; fingerprint: string; notAfter: string };
  readonly issuing?: { subject: string; fingerprint: string; notAfter: string };
}

export class StationCa {
  readonly #db: Db;
  readonly #audit: AuditLog;
  readonly #store: AuthorityStore;
  readonly ledger: SqliteIssuanceLedger;

  constructor(db: Db, audit: AuditLog) {
    this.#db = db;
    this.#audit = audit;
    this.#store = new AuthorityStore(db);
    this.ledger = new SqliteIssuanceLedger(db, audit);
  }

  status(): CaStatus {
    const describe = (role: AuthorityRole) => {
      const stored = this.#store.active(role);
      if (!stored) return undefined;
      const cert = certificateOf(stored.certificate);
      return { subject: cert.subject, fingerprint: stored.fingerprint, notAfter: cert.notAfter.toISOString() };
    };
    const root = describe('root');
    const issuing = describe('issuing');
    const stored = this.#store.active('issuing');
    const location = stored?.keyLocation ? (JSON.parse(stored.keyLocation) as KeyLocation) : undefined;
    const key = location
      ? { location: 'pkcs11' as const, token: location.token, serial: location.serial, uri: location.uri }
      : { location: 'file' as const };
    return {
      initialized: Boolean(issuing),
      ...(root ? { root } : {}),
      ...(issuing ? { issuing, key } : {}),
    };
  }

  async init(options: CaInitOptions & { passphrase: string; force?: boolean; pkcs11?: string }): Promise<CaStatus> {
    if (this.#store.active('issuing') && !options.force) {
      throw new EnrollerError(
        'CA_ALREADY_INITIALIZED',
        'This station already has a CA. Certificates it issued chain to it; replacing it is deliberate (--force).',
      );
    }
    if (options.pkcs11) {
      const made = await createCaInToken({ ...options, uri: options.pkcs11, pin: options.passphrase });
      this.#activate(made, { keyAlgorithm: 'ec-p256', token: made.location.token, tokenSerial: made.location.serial });
      return this.status();
    }
    const { root, issuing } = await createCa(options);
    const [rootPkcs8, issuingPkcs8] = await Promise.all([pkcs8Of(root), pkcs8Of(issuing)]);
    try {
      const [rootKey, issuingKey] = await Promise.all([
        encryptPrivateKey(rootPkcs8, options.passphrase),
        encryptPrivateKey(issuingPkcs8, options.passphrase),
      ]);
      this.#activate(
        { root: { ...root, encryptedKey: rootKey }, issuing: { ...issuing, encryptedKey: issuingKey } },
        { keyAlgorithm: options.keyAlgorithm ?? 'ec-p256' },
      );
    } finally {
      rootPkcs8.fill(0);
      issuingPkcs8.fill(0);
    }
    return this.status();
  }

  /** The new root and issuing CA become the active pair, with the key ceremony on the audit record. */
  #activate(
    made: {
      root: { certificate: x509.X509Certificate; encryptedKey?: Uint8Array };
      issuing: { certificate: x509.X509Certificate; encryptedKey?: Uint8Array };
      location?: KeyLocation;
    },
    details: Record<string, unknown>,
  ): void {
    const entry = (role: AuthorityRole, pair: { certificate: x509.X509Certificate; encryptedKey?: Uint8Array }) => ({
      role,
      fingerprint: fingerprintOf(pair.certificate),
      subject: pair.certificate.subject,
      certificate: new Uint8Array(pair.certificate.rawData),
      encryptedKey: pair.encryptedKey,
      keyLocation: made.location ? JSON.stringify({ ...made.location, label: made.location.labels[role] }) : undefined,
    });
    immediately(this.#db, () => {
      this.#store.activate([entry('root', made.root), entry('issuing', made.issuing)]);
      this.#audit.append('ca.initialized', made.issuing.certificate.subject, {
        root: fingerprintOf(made.root.certificate),
        issuing: fingerprintOf(made.issuing.certificate),
        ...details,
      });
    });
  }

  /** The same as import(), from a PKCS#12 file holding the issuing CA, its key and its chain. */
  async importPkcs12(options: { p12: Uint8Array; p12Passphrase: string; passphrase: string }): Promise<CaStatus> {
    const { certificates, keyPkcs8 } = await readPkcs12(options.p12, options.p12Passphrase);
    try {
      const key = crypto.createPrivateKey({ key: Buffer.from(keyPkcs8), format: 'der', type: 'pkcs8' });
      const spki = crypto.createPublicKey(key).export({ format: 'der', type: 'spki' });
      const own = certificates.find((c) => Buffer.from(c.publicKey.rawData).equals(spki));
      if (!own) throw new EnrollerError('CA_IMPORT_INVALID', 'The PKCS#12 file holds no certificate for its key.');
      const others = certificates.filter((c) => c !== own);
      return await this.import({
        certPem: own.toString('pem'),
        keyPem: key.export({ format: 'pem', type: 'pkcs8' }).toString(),
        chainPem: others.map((c) => c.toString('pem')).join('\n'),
        passphrase: options.passphrase,
      });
    } finally {
      keyPkcs8.fill(0);
    }
  }

  /**
   * Uses a factory's existing issuing CA: its certificate, its key (PEM, maybe encrypted) and its
   * chain up to a root.
   */
  async import(options: {
    certPem: string;
    keyPem: string;
    keyPassphrase?: string;
    chainPem?: string;
    passphrase: string;
  }): Promise<CaStatus> {
    const { issuing, chain } = readCaCertificates(options.certPem, options.chainPem);
    const key = readCaKey(options.keyPem, options.keyPassphrase, issuing);
    const root = [issuing, ...chain].find((c) => c.subject === c.issuer) ?? chain.at(-1) ?? issuing;
    const pkcs8 = new Uint8Array(key.export({ format: 'der', type: 'pkcs8' }));
    try {
      const encrypted = await encryptPrivateKey(pkcs8, options.passphrase);
      const entry = (role: 'root' | 'issuing', certificate: x509.X509Certificate, encryptedKey?: Uint8Array) => ({
        role,
        fingerprint: fingerprintOf(certificate),
        subject: certificate.subject,
        certificate: new Uint8Array(certificate.rawData),
        encryptedKey,
      });
      this.#db
        .transaction(() => {
          this.#store.activate([
            ...(root !== issuing ? [entry('root', root)] : []),
            entry('issuing', issuing, encrypted),
          ]);
          const details = { issuing: fingerprintOf(issuing), root: fingerprintOf(root) };
          this.#audit.append('ca.imported', issuing.subject, details);
        })
        .immediate();
    } finally {
      pkcs8.fill(0);
    }
    return this.status();
  }

  /**
   * The root and the issuing chain as PEM, made when first read. A batch asks for them as it
   * starts and its devices read them when written, a key generation later: the certificates are
   * parsed then (or by the unlock before), not on every batch's way to its first device (~7 ms of
   * a CLI start here, #18). A station without a CA is told so at once, as before.
   */
  chainWhenRead(): { readonly root: string; readonly issuingChain: string } {
    this.#issuingRecord();
    let root: string | undefined;
    let issuingChain: string | undefined;
    const read = { root: () => this.rootPem(), chain: () => this.chainPem() };
    return {
      get root() {
        return (root ??= read.root());
      },
      get issuingChain() {
        return (issuingChain ??= read.chain());
      },
    };
  }

  #issuingRecord() {
    const issuing = this.#store.active('issuing');
    if (!issuing?.encryptedKey && !issuing?.keyLocation)
      throw new EnrollerError(
        'CA_NOT_INITIALIZED',
        'This station has no CA yet. Run `enroller ca init` (or `ca import`).',
      );
    return issuing;
  }

  #material() {
    const issuing = this.#issuingRecord();
    const root = this.#store.active('root') ?? issuing;
    return {
      // Parsed once per process (parsed-der.ts): each batch asks for the chain, each unlock for both.
      root: certificateOf(root.certificate),
      issuing: certificateOf(issuing.certificate),
      encryptedIssuingKey: issuing.encryptedKey,
      keyLocation: issuing.keyLocation
        ? (JSON.parse(issuing.keyLocation) as KeyLocation & { label: string })
        : undefined,
    };
  }

  async unlock(passphrase: string, actor = 'station'): Promise<LocalAuthority> {
    const { root, issuing, encryptedIssuingKey, keyLocation } = this.#material();
    if (keyLocation) {
      const { authority, token } = await unlockFromToken({ root, issuing }, keyLocation, passphrase, this.ledger);
      const details = { token: token.label, tokenSerial: token.serial, key: keyLocation.label };
      this.#audit.append('ca.unlocked', issuing.subject, details, actor);
      return authority;
    }
    const authority = await LocalAuthority.unlock(
      { root, issuing, encryptedIssuingKey: encryptedIssuingKey! },
      passphrase,
      this.ledger,
    );
    this.#audit.append('ca.unlocked', issuing.subject, {}, actor);
    return authority;
  }

  /** Chain as PEM: issuing CA first, then the root. */
  chainPem(): string {
    const { root, issuing } = this.#material();
    // An imported issuing CA without its chain stands alone: it is then its own last link.
    return fingerprintOf(root) === fingerprintOf(issuing)
      ? issuing.toString('pem') + '\n'
      : `${issuing.toString('pem')}\n${root.toString('pem')}\n`;
  }

  rootPem(): string {
    return `${this.#material().root.toString('pem')}\n`;
  }

  /**
   * Proof of possession for a cloud's CA registration (Azure DPS, INeS): a certificate with
   * CN = the verification code, signed by the CA being registered.
   */
  async verificationCertificate(
    code: string,
    passphrase: string,
    which: AuthorityRole = 'root',
  ): Promise<x509.X509Certificate> {
    if (!/^[A-Za-z0-9-]{1,64}$/.test(code))
      throw new EnrollerError('CSR_SUBJECT_INVALID', 'A verification code is 1–64 letters, digits or dashes.');
    const stored = this.#store.active(which);
    if (!stored?.encryptedKey && !stored?.keyLocation)
      throw new EnrollerError('CA_NOT_INITIALIZED', `This station holds no key for its ${which} CA.`);
    const caCert = new x509.X509Certificate(stored.certificate);
    const { signingKey, algorithm, provider, close } = await this.#keyOf(stored, passphrase);
    const holder = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
    const serial = randomSerial();
    const now = new Date();
    const spki = new Uint8Array(await webcrypto.subtle.exportKey('spki', holder.publicKey));
    const keyFingerprint = crypto.createHash('sha256').update(spki).digest('hex');
    this.ledger.reserve({
      serial,
      issuerFingerprint: stored.fingerprint,
      deviceId: `verification:${code}`,
      csrSha256: keyFingerprint,
      keyFingerprint,
      kind: 'verification',
    });
    const certificate = await x509.X509CertificateGenerator.create(
      {
        serialNumber: serial,
        subject: [{ CN: [code] }],
        issuer: caCert.subject,
        notBefore: new Date(now.getTime() - 5 * 60_000),
        notAfter: new Date(now.getTime() + 30 * 86_400_000),
        publicKey: new x509.PublicKey(spki),
        signingKey: signingKey as never,
        signingAlgorithm: { ...algorithm, hash: 'SHA-256' },
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
          await x509.AuthorityKeyIdentifierExtension.create(caCert),
        ],
      },
      provider as never,
    ).finally(close);
    this.ledger.complete(serial, new Uint8Array(certificate.rawData), certificate.notBefore, certificate.notAfter);
    return certificate;
  }

  /** A CA's private key for the X.509 library: decrypted from the file, or found in its token. */
  async #keyOf(stored: StoredAuthority, passphrase: string) {
    if (stored.keyLocation) {
      const location = JSON.parse(stored.keyLocation) as KeyLocation & { label: string };
      const { privateKey, token } = await tokenPrivateKey(location, passphrase);
      const algorithm = { name: 'ECDSA', namedCurve: 'P-256' };
      return { signingKey: privateKey, algorithm, provider: token.crypto, close: () => token.close() };
    }
    const keyObject = await decryptPrivateKey(stored.encryptedKey!, passphrase);
    const signingKey = await toSigningKey(keyObject);
    return { signingKey, algorithm: signingAlgorithmFor(keyObject), provider: undefined, close: () => {} };
  }
}

/** A factory's issuing CA certificate (it must be a CA) and the chain above it, from PEM. */
export function readCaCertificates(certPem: string, chainPem: string | undefined) {
  let issuing: x509.X509Certificate;
  let chain: x509.X509Certificate[];
  try {
    issuing = new x509.X509Certificate(certPem);
    chain = pemCertificateBlocks(chainPem ?? '').map((pem) => new x509.X509Certificate(pem));
  } catch (error) {
    const cause = (error as Error).message;
    throw new EnrollerError('CA_IMPORT_INVALID', 'The CA certificate or chain is not valid PEM.', { cause });
  }
  if (!issuing.getExtension(x509.BasicConstraintsExtension)?.ca) {
    const said = 'The certificate to import is not a CA certificate (basicConstraints CA:TRUE is missing).';
    throw new EnrollerError('CA_IMPORT_INVALID', said);
  }
  return { issuing, chain };
}

/** The CA's private key (PEM, maybe encrypted), which must be the one its certificate carries. */
function readCaKey(keyPem: string, keyPassphrase: string | undefined, issuing: x509.X509Certificate): crypto.KeyObject {
  let key: crypto.KeyObject;
  try {
    key = crypto.createPrivateKey({
      key: keyPem,
      format: 'pem',
      ...(keyPassphrase ? { passphrase: keyPassphrase } : {}),
    });
  } catch (error) {
    const said = 'The CA key cannot be read (wrong key passphrase, or not a PEM private key).';
    throw new EnrollerError('CA_IMPORT_INVALID', said, { cause: (error as Error).message });
  }
  const publicKey = crypto.createPublicKey(key).export({ format: 'der', type: 'spki' });
  if (!Buffer.from(issuing.publicKey.rawData).equals(publicKey)) {
    throw new EnrollerError('CA_IMPORT_INVALID', 'The key does not belong to the CA certificate.');
  }
  return key;
}
