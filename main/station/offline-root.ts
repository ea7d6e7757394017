// An issuing CA under a root kept offline (#20): `ca csr` makes a new issuing key — encrypted like
// every file key, or inside a PKCS#11 token — and its CSR; the root signs it elsewhere; `ca install`
// takes the certificate back only after checking that it is for that key, that it is a CA that may
// issue (basic constraints, path length, key usage), that it and its chain are valid now, and that
// the chain verifies up to a self-signed root. Then the station issues under it.
import crypto from 'node:crypto';
import { EnrollerError } from '../../shared/errors';
import { encryptPrivateKey } from '../pki/authority/key-vault';
import { fingerprintOf } from '../pki/authority/local-authority';
import { webcrypto, x509, type CryptoKeyPair } from '../pki/crypto';
import { formatPkcs11Uri, parsePkcs11Uri } from '../pki/token/pkcs11-uri';
import { generateTokenKeyPair, openToken } from '../pki/token/token';
import type { AuditLog } from '../store/audit-log';
import { AuthorityStore } from '../store/authority-store';
import type { Db } from '../store/database';
import { immediately } from '../store/immediately';
import { prepared } from '../store/prepared';
import { readCaCertificates } from './certificate-authority';
import type { KeyLocation } from './token-ca';
import { signedBy } from '../pki/signed-by';

const CA_KEY = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const CA_SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;

export interface IssuingRequest {
  readonly csrPem: string;
  readonly keyFingerprint: string;
  readonly key: 'file' | 'pkcs11';
}

interface RequestRow {
  id: number;
  encrypted_key: Buffer | null;
  key_location: string | null;
}

export class OfflineRoot {
  readonly #db: Db;
  readonly #audit: AuditLog;

  constructor(db: Db, audit: AuditLog) {
    this.#db = db;
    this.#audit = audit;
  }

  /** A new issuing key and its CSR; the key waits here (encrypted, or in the token) for `install`. */
  async request(options: {
    subject: string;
    passphrase: string;
    pkcs11?: string | undefined;
    actor: string;
  }): Promise<IssuingRequest> {
    const made = options.pkcs11
      ? await this.#tokenKey(options.pkcs11, options.passphrase)
      : await this.#fileKey(options.passphrase);
    const csr = await x509.Pkcs10CertificateRequestGenerator.create(
      {
        name: options.subject,
        keys: made.keys as never,
        signingAlgorithm: CA_SIGNING,
        extensions: [
          new x509.BasicConstraintsExtension(true, 0, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        ],
      },
      made.provider as never,
    );
    const spki = new Uint8Array(csr.publicKey.rawData);
    const keyFingerprint = crypto.createHash('sha256').update(spki).digest('hex');
    immediately(this.#db, () => {
      prepared(
        this.#db,
        `INSERT INTO issuing_requests (subject, csr, key_fingerprint, encrypted_key, key_location, created_by,
           created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        csr.subject,
        Buffer.from(csr.rawData),
        keyFingerprint,
        made.encryptedKey ? Buffer.from(made.encryptedKey) : null,
        made.location ? JSON.stringify(made.location) : null,
        options.actor,
        new Date().toISOString(),
      );
      const where = made.location ? { token: made.location.token, tokenSerial: made.location.serial } : {};
      this.#audit.append('ca.key-made', csr.subject, { keyFingerprint, ...where }, options.actor);
    });
    return { csrPem: csr.toString('pem'), keyFingerprint, key: made.location ? 'pkcs11' : 'file' };
  }

  /** The root's certificate for a key made by `request`, checked, becomes the active issuing CA. */
  async install(options: { certPem: string; chainPem: string; actor: string; now?: Date }): Promise<void> {
    const { issuing, chain } = readCaCertificates(options.certPem, options.chainPem);
    const spki = new Uint8Array(issuing.publicKey.rawData);
    const keyFingerprint = crypto.createHash('sha256').update(spki).digest('hex');
    const request = prepared<[string], RequestRow>(
      this.#db,
      'SELECT id, encrypted_key, key_location FROM issuing_requests WHERE key_fingerprint = ? AND installed_at IS NULL',
    ).get(keyFingerprint);
    if (!request) {
      throw invalid(
        'This certificate is not for a key this station made and still waits for (`enroller ca csr`): install the ' +
          'certificate the root signed for that CSR.',
      );
    }
    const root = await verifiedChain(issuing, chain, options.now ?? new Date());
    const location = request.key_location ? (JSON.parse(request.key_location) as KeyLocation) : undefined;
    const entry = (certificate: x509.X509Certificate) => ({
      fingerprint: fingerprintOf(certificate),
      subject: certificate.subject,
      certificate: new Uint8Array(certificate.rawData),
    });
    immediately(this.#db, () => {
      new AuthorityStore(this.#db).activate([
        { role: 'root', ...entry(root), encryptedKey: undefined },
        {
          role: 'issuing',
          ...entry(issuing),
          encryptedKey: request.encrypted_key ? new Uint8Array(request.encrypted_key) : undefined,
          keyLocation: location ? JSON.stringify({ ...location, label: location.labels.issuing }) : undefined,
        },
      ]);
      prepared(this.#db, 'UPDATE issuing_requests SET installed_at = ? WHERE id = ?').run(
        new Date().toISOString(),
        request.id,
      );
      const details = { issuing: fingerprintOf(issuing), root: fingerprintOf(root), keyFingerprint };
      this.#audit.append('ca.installed', issuing.subject, details, options.actor);
    });
  }

  async #fileKey(passphrase: string) {
    const keys = (await webcrypto.subtle.generateKey(CA_KEY, true, ['sign', 'verify'])) as CryptoKeyPair;
    const pkcs8 = new Uint8Array(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
    try {
      return {
        keys,
        encryptedKey: await encryptPrivateKey(pkcs8, passphrase),
        location: undefined,
        provider: undefined,
      };
    } finally {
      pkcs8.fill(0);
    }
  }

  async #tokenKey(uriText: string, pin: string) {
    const uri = parsePkcs11Uri(uriText);
    const token = await openToken(uri, pin);
    const label = `${uri.object ?? 'floor-enroller-ca'}-issuing-${Date.now()}`;
    const keys = await generateTokenKeyPair(token, label);
    const location: KeyLocation = {
      kind: 'pkcs11',
      uri: formatPkcs11Uri(uri),
      token: token.label,
      serial: token.serial,
      labels: { issuing: label },
      ...(uri.pinFile ? { pinFile: uri.pinFile } : {}),
    };
    return { keys, encryptedKey: undefined, location, provider: token.crypto };
  }
}

/**
 * The issuing CA and its chain, checked link by link up to a self-signed root: each certificate
 * valid now, each issuer a CA allowed to sign certificates with enough path length for what is
 * below it, each signature verifying. Returns the root.
 */
async function verifiedChain(
  issuing: x509.X509Certificate,
  chain: readonly x509.X509Certificate[],
  now: Date,
): Promise<x509.X509Certificate> {
  let current = issuing;
  for (let below = 0; below < 8; below++) {
    checkCa(current, below, now);
    const parent =
      current.subject === current.issuer ? current : chain.find((c) => c.subject === current.issuer && c !== current);
    if (!parent)
      throw invalid(`The chain has no certificate for "${current.issuer}", which signed "${current.subject}".`);
    if (!(await signedBy(current, parent))) {
      throw invalid(`The signature on "${current.subject}" does not verify with "${parent.subject}"'s key.`);
    }
    if (parent === current) return current;
    current = parent;
  }
  throw invalid('The chain is longer than eight certificates.');
}

/** A CA certificate valid now that may sign certificates, with `below` CA certificates under it. */
function checkCa(certificate: x509.X509Certificate, below: number, now: Date): void {
  const basic = certificate.getExtension(x509.BasicConstraintsExtension);
  if (!basic?.ca) throw invalid(`"${certificate.subject}" is not a CA certificate (basicConstraints CA:TRUE).`);
  if (basic.pathLength !== undefined && basic.pathLength < below) {
    throw invalid(
      `"${certificate.subject}" allows ${basic.pathLength} CA certificate(s) below it; this chain has ${below}.`,
    );
  }
  const usage = certificate.getExtension(x509.KeyUsagesExtension);
  if (usage && !(usage.usages & x509.KeyUsageFlags.keyCertSign)) {
    throw invalid(`"${certificate.subject}" may not sign certificates (keyUsage lacks keyCertSign).`);
  }
  if (now < certificate.notBefore || now > certificate.notAfter) {
    const when = `${certificate.notBefore.toISOString()} to ${certificate.notAfter.toISOString()}`;
    throw invalid(`"${certificate.subject}" is not valid now (valid ${when}).`);
  }
}

function invalid(message: string): EnrollerError {
  return new EnrollerError('CA_IMPORT_INVALID', message);
}
