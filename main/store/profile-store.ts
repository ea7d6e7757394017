// Enrollment profiles. The built-in `local` (the embedded CA) is seeded on open and cannot be
// replaced. Secrets are stored only sealed; this store never sees them in the clear.
import { EnrollerError } from '../../shared/errors';
import { LOCAL_PROFILE, ProfileSettings, type ProfileSummary } from '../../shared/profile';
import type { Db } from './database';

export interface StoredProfile extends ProfileSummary {
  /** The sealed secrets blob (see main/pki/secret-box.ts), if any. */
  readonly sealedSecrets: string | null;
}

interface Row {
  name: string;
  settings: string;
  secrets: string | null;
  secret_keys: string;
  builtin: number;
}

const toProfile = (r: Row): StoredProfile => ({
  name: r.name,
  settings: ProfileSettings.parse(JSON.parse(r.settings)),
  secrets: JSON.parse(r.secret_keys) as ProfileSummary['secrets'],
  builtin: r.builtin === 1,
  sealedSecrets: r.secrets,
});

export class ProfileStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
    const now = new Date().toISOString();
    db.prepare(
      'INSERT OR IGNORE INTO profiles (name, protocol, settings, builtin, created_at, updated_at) VALUES (?, ' +
        "'local', ?, 1, ?, ?)",
    ).run(LOCAL_PROFILE, JSON.stringify({ protocol: 'local' }), now, now);
  }

  /** The CA chain a profile's service gave last (or a bundle pinned): what batches use while it is out of reach. */
  cachedChain(profile: string): { root: string; issuingChain: string } | undefined {
    const row = this.#db
      .prepare<[string], { root_pem: string; chain_pem: string }>(
        'SELECT root_pem, chain_pem FROM profile_chains WHERE profile = ?',
      )
      .get(profile);
    return row ? { root: row.root_pem, issuingChain: row.chain_pem } : undefined;
  }

  cacheChain(profile: string, chain: { root: string; issuingChain: string }, at = new Date()): void {
    this.#db
      .prepare(
        `INSERT INTO profile_chains (profile, root_pem, chain_pem, fetched_at) VALUES (?, ?, ?, ?)
         ON CONFLICT(profile) DO UPDATE SET root_pem = excluded.root_pem, chain_pem = excluded.chain_pem,
           fetched_at = excluded.fetched_at`,
      )
      .run(profile, chain.root, chain.issuingChain, at.toISOString());
  }

  get(name: string): StoredProfile {
    const row = this.#db.prepare<[string], Row>('SELECT * FROM profiles WHERE name = ?').get(name);
    if (!row)
      throw new EnrollerError(
        'PROFILE_NOT_FOUND',
        `There is no enrollment profile named "${name}". See \`enroller profile list\`.`,
        { name },
      );
    return toProfile(row);
  }

  list(): StoredProfile[] {
    return this.#db.prepare<[], Row>('SELECT * FROM profiles ORDER BY builtin DESC, name').all().map(toProfile);
  }

  /** Inserts or replaces a profile (never the built-in one); `extra` runs in the same transaction. */
  put(
    name: string,
    settings: ProfileSettings,
    sealed: { blob: string; keys: ProfileSummary['secrets'] } | undefined,
    options: { replace: boolean },
    extra?: () => void,
  ): StoredProfile {
    const now = new Date().toISOString();
    this.#db
      .transaction(() => {
        const existing = this.#db.prepare<[string], Row>('SELECT * FROM profiles WHERE name = ?').get(name);
        if (existing?.builtin)
          throw new EnrollerError('PROFILE_EXISTS', `"${name}" is the built-in profile and cannot be replaced.`);
        if (existing && !options.replace)
          throw new EnrollerError('PROFILE_EXISTS', `A profile named "${name}" exists; add --replace to overwrite it.`);
        this.#db
          .prepare(
            `INSERT INTO profiles (name, protocol, settings, secrets, secret_keys, builtin, created_at, updated_at)
               VALUES (?, ?, ?, ?, ?, 0, ?, ?)
           ON CONFLICT(name) DO UPDATE SET protocol = excluded.protocol, settings = excluded.settings,
             secrets = excluded.secrets,
             secret_keys = excluded.secret_keys, updated_at = excluded.updated_at`,
          )
          .run(
            name,
            settings.protocol,
            JSON.stringify(settings),
            sealed?.blob ?? null,
            JSON.stringify(sealed?.keys ?? []),
            now,
            now,
          );
        extra?.();
      })
      .immediate();
    return this.get(name);
  }
}
