// After a restore the ledger is older than the devices (#22): a device enrolled after the backup
// comes back holding a certificate this station issued and no longer remembers. It is recognised by
// that certificate — signed by one of this station's CAs, for this device's ID, not on the ledger —
// and the certificate goes back on the ledger, instead of the device being issued a second one.
import crypto from 'node:crypto';
import { fingerprintOf } from '../pki/authority/local-authority';
import { x509 } from '../pki/crypto';
import { certificatePublicKey } from '../pki/public-key-of';
import { AuditLog } from './audit-log';
import type { Db } from './database';
import { SettingsStore } from './settings-store';
import { signedBy } from '../pki/signed-by';

export const RESTORED_FROM_KEY = 'station.restoredFrom';

export interface ForgottenCertificate {
  readonly certificate: x509.X509Certificate;
  readonly issuerFingerprint: string;
  readonly keyFingerprint: string;
}

export class RecoveredCertificates {
  readonly #db: Db;
  readonly #settings: SettingsStore;

  constructor(db: Db) {
    this.#db = db;
    this.#settings = new SettingsStore(db);
  }

  /** Only a station whose database was restored can have forgotten what it issued. */
  restored(): boolean {
    return this.#settings.get(RESTORED_FROM_KEY) !== undefined;
  }

  /** The certificate `der` if one of this station's CAs issued it for `deviceId` and the ledger lacks it. */
  async forgotten(der: Uint8Array, deviceId: string): Promise<ForgottenCertificate | undefined> {
    let certificate: x509.X509Certificate;
    try {
      certificate = new x509.X509Certificate(der.slice());
    } catch {
      return undefined;
    }
    if (/(?:^|,\s*)CN=([^,]+)/.exec(certificate.subject)?.[1] !== deviceId) return undefined;
    for (const issuer of this.#issuers()) {
      if (issuer.subject !== certificate.issuer) continue;
      const signed = await signedBy(certificate, issuer);
      if (!signed) continue;
      const issuerFingerprint = fingerprintOf(issuer);
      const known = this.#db
        .prepare('SELECT 1 FROM certificates WHERE issuer_fingerprint = ? AND serial = ?')
        .get(issuerFingerprint, certificate.serialNumber);
      if (known) return undefined;
      const keyFingerprint = sha256(certificatePublicKey(certificate.rawData));
      return { certificate, issuerFingerprint, keyFingerprint };
    }
    return undefined;
  }

  /** Back on the ledger as issued (no CSR on record: its key stands in), with its audit row. Call in a commit. */
  adopt(found: ForgottenCertificate, deviceId: string, actor: string, now = new Date()): void {
    const { certificate, issuerFingerprint, keyFingerprint } = found;
    this.#db
      .prepare(
        `INSERT INTO certificates (serial, issuer_fingerprint, device_id, csr_sha256, key_fingerprint, kind, status,
           der, not_before, not_after, created_at)
         VALUES (?, ?, ?, ?, ?, 'operational', 'issued', ?, ?, ?, ?)`,
      )
      .run(
        certificate.serialNumber,
        issuerFingerprint,
        deviceId,
        keyFingerprint,
        keyFingerprint,
        Buffer.from(certificate.rawData),
        certificate.notBefore.toISOString(),
        certificate.notAfter.toISOString(),
        now.toISOString(),
      );
    this.#db
      .prepare('INSERT OR IGNORE INTO device_keys (key_fingerprint, device_id, first_seen) VALUES (?, ?, ?)')
      .run(keyFingerprint, deviceId, now.toISOString());
    new AuditLog(this.#db).append(
      'certificate.recovered',
      deviceId,
      { serial: certificate.serialNumber, issuer: certificate.issuer, notAfter: certificate.notAfter.toISOString() },
      actor,
      now,
    );
  }

  /** Every issuing CA this station has had (an issuing CA replaced by `ca install` still signed devices). */
  #issuers(): x509.X509Certificate[] {
    return (
      this.#db.prepare("SELECT certificate FROM authorities WHERE role = 'issuing'").all() as Array<{
        certificate: Buffer;
      }>
    ).map((r) => new x509.X509Certificate(new Uint8Array(r.certificate)));
  }
}

function sha256(bytes: Uint8Array): string {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}
