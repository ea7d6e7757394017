// The embedded CA's certificates and encrypted keys, one active root and one active issuing CA.
import type { Db } from './database';
import { prepared } from './prepared';

export type AuthorityRole = 'root' | 'issuing';

export interface StoredAuthority {
  readonly role: AuthorityRole;
  readonly fingerprint: string;
  readonly subject: string;
  readonly certificate: Uint8Array;
  readonly encryptedKey: Uint8Array | undefined;
  /** Where the key is when it is not in the encrypted file: JSON (station/token-ca.ts KeyLocation). */
  readonly keyLocation?: string | undefined;
}

export class AuthorityStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  active(role: AuthorityRole): StoredAuthority | undefined {
    const row = prepared<
      [string],
      {
        role: AuthorityRole;
        fingerprint: string;
        subject: string;
        certificate: Buffer;
        encrypted_key: Buffer | null;
        key_location: string | null;
      }
    >(
      this.#db,
      'SELECT role, fingerprint, subject, certificate, encrypted_key, key_location FROM authorities ' +
        'WHERE role = ? AND active = 1',
    ).get(role);
    return row
      ? {
          role: row.role,
          fingerprint: row.fingerprint,
          subject: row.subject,
          certificate: new Uint8Array(row.certificate),
          encryptedKey: row.encrypted_key ? new Uint8Array(row.encrypted_key) : undefined,
          keyLocation: row.key_location ?? undefined,
        }
      : undefined;
  }

  /** Replaces the active pair in one transaction (the old ones stay, inactive, for the record). */
  activate(authorities: readonly StoredAuthority[]): void {
    const now = new Date().toISOString();
    for (const a of authorities) {
      this.#db.prepare('UPDATE authorities SET active = 0 WHERE role = ? AND active = 1').run(a.role);
      this.#db
        .prepare(
          'INSERT INTO authorities (role, fingerprint, subject, certificate, encrypted_key, key_location, active, ' +
            'created_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?)',
        )
        .run(
          a.role,
          a.fingerprint,
          a.subject,
          Buffer.from(a.certificate),
          a.encryptedKey ? Buffer.from(a.encryptedKey) : null,
          a.keyLocation ?? null,
          now,
        );
    }
  }
}
