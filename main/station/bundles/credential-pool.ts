// Enrollment bundles and their one-time credentials. A credential is reserved for a device when
// its enrollment starts, consumed only when the service accepted that device's CSR with it, and
// given back if the device is aborted first. Expired bundles or credentials are refused in plain
// words; the ledger records which credential went to which device and CSR.
import crypto from 'node:crypto';
import { BundleFile } from '../../../shared/bundle';
import { EnrollerError } from '../../../shared/errors';
import { openWithKey, sealWithKey } from '../../pki/data-key';
import { open, seal } from '../../pki/secret-box';
import type { AuditLog } from '../../store/audit-log';
import type { Db } from '../../store/database';
import { ProfileStore } from '../../store/profile-store';
import { prepared } from '../../store/prepared';

export interface Reservation {
  readonly id: number;
  readonly credentialId: string;
  readonly secret: string;
}

export interface CredentialUse {
  readonly credentialId: string;
  readonly status: 'available' | 'reserved' | 'consumed' | 'refused';
  readonly deviceId: string | null;
  readonly csrSha256: string | null;
  readonly expiresAt: string;
}

interface CredentialRow {
  id: number;
  bundle_id: number;
  credential_id: string;
  sealed: Buffer;
  expires_at: string;
  status: CredentialUse['status'];
  device_id: string | null;
  sealed_key: string;
  bundle_expires_at: string;
}

export class CredentialPool {
  readonly #db: Db;
  readonly #audit: AuditLog;
  readonly #keys = new Map<number, Buffer>();

  constructor(db: Db, audit: AuditLog) {
    this.#db = db;
    this.#audit = audit;
  }

  /** Validates and stores a bundle file; its credentials are sealed under a fresh data key. */
  import(
    text: string,
    passphrase: string,
    actor: string,
    now = new Date(),
  ): { bundleId: number; profile: string; credentials: number; expiresAt: string } {
    const parsed = parseBundle(text, now);
    const source = crypto.createHash('sha256').update(text).digest('hex');
    const dataKey = crypto.randomBytes(32);
    const sealedKey = seal(dataKey.toString('base64'), passphrase, `bundle:${source}`);
    let bundleId = 0;
    this.#db
      .transaction(() => {
        this.#refuseRepeats(parsed, source);
        bundleId = Number(
          this.#db
            .prepare(
              'INSERT INTO bundles (profile, source, sealed_key, expires_at, imported_at) VALUES (?, ?, ?, ?, ?)',
            )
            .run(parsed.profile, source, sealedKey, parsed.expiresAt, now.toISOString()).lastInsertRowid,
        );
        const insert = this.#db.prepare(
          `INSERT INTO bundle_credentials (bundle_id, credential_id, sealed, expires_at, status)
           VALUES (?, ?, ?, ?, 'available')`,
        );
        for (const c of parsed.credentials) {
          const sealed = sealWithKey(dataKey, c.secret, `${bundleId}:${c.id}`);
          insert.run(bundleId, c.id, sealed, c.expiresAt ?? parsed.expiresAt);
        }
        // The service's chain, pinned by the bundle: what its certificates are checked against.
        const pem = parsed.caCertificatesPem;
        if (pem) new ProfileStore(this.#db).cacheChain(parsed.profile, { root: pem, issuingChain: pem }, now);
        const details = { bundleId, credentials: parsed.credentials.length, expiresAt: parsed.expiresAt, source };
        this.#audit.append('bundle.imported', parsed.profile, details, actor);
      })
      .immediate();
    this.#keys.set(bundleId, dataKey);
    return { bundleId, profile: parsed.profile, credentials: parsed.credentials.length, expiresAt: parsed.expiresAt };
  }

  /** Why no credential can be reserved: every bundle expired, or every credential is spent. */
  #noneLeft(profile: string, iso: string): EnrollerError {
    const live = this.#db
      .prepare<[string, string], { n: number }>(
        'SELECT count(*) AS n FROM bundles WHERE profile = ? AND expires_at > ?',
      )
      .get(profile, iso)!.n;
    if (live === 0) {
      const said =
        `Every enrollment bundle for profile "${profile}" has expired; import a new one from the ` +
        `service's administrator.`;
      return new EnrollerError('BUNDLE_EXPIRED', said);
    }
    const said = `No unused enrollment credentials are left for profile "${profile}"; import a new bundle.`;
    return new EnrollerError('BUNDLE_CREDENTIALS_EXHAUSTED', said);
  }

  /** A bundle, or a one-time credential in it, imported before could be handed out twice. */
  #refuseRepeats(parsed: BundleFile, source: string): void {
    if (this.#db.prepare('SELECT 1 FROM bundles WHERE source = ?').get(source)) {
      throw new EnrollerError('BUNDLE_INVALID', 'This bundle was imported already.');
    }
    const known = this.#db.prepare<[string, string], { n: number }>(
      `SELECT count(*) AS n FROM bundle_credentials c JOIN bundles b ON b.id = c.bundle_id
       WHERE b.profile = ? AND c.credential_id = ?`,
    );
    const repeated = parsed.credentials.find((c) => known.get(parsed.profile, c.id)!.n > 0);
    if (repeated) {
      const said =
        `Credential "${repeated.id}" of profile ${parsed.profile} was imported before; a one-time ` +
        `credential is never loaded twice.`;
      throw new EnrollerError('BUNDLE_INVALID', said);
    }
  }

  /** Whether a profile draws its enrollment credentials from bundles. */
  hasBundles(profile: string): boolean {
    return prepared(this.#db, 'SELECT 1 FROM bundles WHERE profile = ? LIMIT 1').get(profile) !== undefined;
  }

  /** The device's reservation (the same one again on a retry), or a new one. */
  reserve(
    profile: string,
    deviceId: string,
    passphrase: string | undefined,
    actor: string,
    now = new Date(),
  ): Reservation {
    const select =
      `SELECT c.*, b.sealed_key, b.expires_at AS bundle_expires_at FROM bundle_credentials c JOIN ` +
      `bundles b ON b.id = c.bundle_id WHERE b.profile = ?`;
    let row: CredentialRow | undefined;
    this.#db
      .transaction(() => {
        row = this.#db
          .prepare<[string, string], CredentialRow>(`${select} AND c.status = 'reserved' AND c.device_id = ?`)
          .get(profile, deviceId);
        if (row) return;
        const iso = now.toISOString();
        row = this.#db
          .prepare<[string, string, string], CredentialRow>(
            `${select} AND c.status = 'available' AND c.expires_at > ? AND b.expires_at > ? ORDER BY c.id LIMIT 1`,
          )
          .get(profile, iso, iso);
        if (!row) throw this.#noneLeft(profile, iso);
        this.#db
          .prepare("UPDATE bundle_credentials SET status = 'reserved', device_id = ?, reserved_at = ? WHERE id = ?")
          .run(deviceId, iso, row.id);
        this.#audit.append(
          'credential.reserved',
          deviceId,
          { credential: row.credential_id, bundle: row.bundle_id },
          actor,
        );
      })
      .immediate();
    const found = row!;
    if (found.expires_at <= now.toISOString() || found.bundle_expires_at <= now.toISOString()) {
      this.release(found.id, actor);
      throw new EnrollerError('BUNDLE_EXPIRED', `The enrollment credential reserved for ${deviceId} has expired.`);
    }
    return {
      id: found.id,
      credentialId: found.credential_id,
      secret: openWithKey(this.#dataKey(found, passphrase), found.sealed, `${found.bundle_id}:${found.credential_id}`),
    };
  }

  /** The service accepted this device's CSR with the credential: it is spent. Call in the step's commit. */
  consume(reservationId: number, deviceId: string, csrSha256: string, actor: string): void {
    const row = this.#db
      .prepare<[number], { status: string; device_id: string | null; credential_id: string }>(
        'SELECT status, device_id, credential_id FROM bundle_credentials WHERE id = ?',
      )
      .get(reservationId);
    if (!row || row.status !== 'reserved' || row.device_id !== deviceId) {
      throw new EnrollerError(
        'BUNDLE_CREDENTIAL_USED',
        `Enrollment credential ${row?.credential_id ?? reservationId} is not reserved for ${deviceId}; a one-time ` +
          `credential is never used twice.`,
        { status: row?.status, owner: row?.device_id },
      );
    }
    this.#db
      .prepare("UPDATE bundle_credentials SET status = 'consumed', csr_sha256 = ?, consumed_at = ? WHERE id = ?")
      .run(csrSha256, new Date().toISOString(), reservationId);
    this.#audit.append('credential.consumed', deviceId, { credential: row.credential_id, csrSha256 }, actor);
  }

  /** An aborted device gives its credential back. */
  release(reservationId: number, actor: string): void {
    const changed = this.#db
      .prepare(
        "UPDATE bundle_credentials SET status = 'available', device_id = NULL, reserved_at = NULL WHERE id = ? AND " +
          "status = 'reserved'",
      )
      .run(reservationId).changes;
    if (changed) this.#audit.append('credential.released', String(reservationId), {}, actor);
  }

  /** The service refused the credential itself: it is not handed to another device. */
  refuse(reservationId: number, actor: string): void {
    this.#db
      .prepare("UPDATE bundle_credentials SET status = 'refused' WHERE id = ? AND status = 'reserved'")
      .run(reservationId);
    this.#audit.append('credential.refused', String(reservationId), {}, actor);
  }

  usage(profile?: string): CredentialUse[] {
    return this.#db
      .prepare<
        [string | null, string | null],
        {
          credential_id: string;
          status: CredentialUse['status'];
          device_id: string | null;
          csr_sha256: string | null;
          expires_at: string;
        }
      >(
        'SELECT c.credential_id, c.status, c.device_id, c.csr_sha256, c.expires_at FROM bundle_credentials c JOIN ' +
          'bundles b ON b.id = c.bundle_id WHERE (? IS NULL OR b.profile = ?) ORDER BY c.id',
      )
      .all(profile ?? null, profile ?? null)
      .map((r) => ({
        credentialId: r.credential_id,
        status: r.status,
        deviceId: r.device_id,
        csrSha256: r.csr_sha256,
        expiresAt: r.expires_at,
      }));
  }

  #dataKey(row: CredentialRow, passphrase: string | undefined): Buffer {
    const cached = this.#keys.get(row.bundle_id);
    if (cached) return cached;
    if (!passphrase)
      throw new EnrollerError(
        'CA_PASSPHRASE_REQUIRED',
        'The enrollment credentials are sealed with the station passphrase: unlock the station first.',
      );
    const source = this.#db
      .prepare<[number], { source: string }>('SELECT source FROM bundles WHERE id = ?')
      .get(row.bundle_id)!.source;
    const key = Buffer.from(open(row.sealed_key, passphrase, `bundle:${source}`), 'base64');
    this.#keys.set(row.bundle_id, key);
    return key;
  }
}

export function parseBundle(text: string, now = new Date()): BundleFile {
  let parsed: BundleFile;
  try {
    parsed = BundleFile.parse(JSON.parse(text));
  } catch (error) {
    const why = error instanceof Error ? error.message.slice(0, 300) : String(error);
    throw new EnrollerError('BUNDLE_INVALID', `The bundle file is not valid: ${why}`);
  }
  if (Date.parse(parsed.expiresAt) <= now.getTime()) {
    const said = `This bundle expired on ${parsed.expiresAt}; ask the service's administrator for a new one.`;
    throw new EnrollerError('BUNDLE_EXPIRED', said);
  }
  return parsed;
}
