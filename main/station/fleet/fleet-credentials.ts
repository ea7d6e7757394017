// One-time credential pools shared by a fleet (#23). A supervisor publishes a bundle file to the
// fleet once; stations lease its credentials in blocks. A lease is one UPDATE that hands unleased
// credentials to the calling station (row-level security lets a station take only unleased ones,
// and only for itself), so each code goes to one station and is spent at most once fleet-wide.
// In the fleet the secrets are never in clear: each bundle's data key is sealed with the fleet
// passphrase (scrypt + AES-GCM, like a profile's secrets), the credentials are AES-GCM under it.
// A leased block is imported into the station's own pool, sealed again with its passphrase.
import crypto from 'node:crypto';
import type { ClientBase } from 'pg';
import { EnrollerError, isEnrollerError } from '../../../shared/errors';
import { openWithKey, sealWithKey } from '../../pki/data-key';
import { open, seal } from '../../pki/secret-box';
import { parseBundle, type CredentialPool } from '../bundles/credential-pool';
import type { Db } from '../../store/database';

export interface Published {
  readonly profile: string;
  readonly credentials: number;
  readonly expiresAt: string;
}

/** Publishes a bundle file's credentials to the fleet, sealed; a bundle or credential published before is refused. */
export async function publishBundle(client: ClientBase, text: string, fleetPassphrase: string): Promise<Published> {
  const parsed = parseBundle(text);
  const source = crypto.createHash('sha256').update(text).digest('hex');
  const dataKey = crypto.randomBytes(32);
  const sealedKey = seal(dataKey.toString('base64'), fleetPassphrase, `fleet-bundle:${source}`);
  const rows = parsed.credentials.map((c) => ({
    credential_id: c.id,
    sealed: sealWithKey(dataKey, c.secret, `${parsed.profile}:${c.id}`).toString('base64'),
    expires_at: c.expiresAt ?? parsed.expiresAt,
  }));
  try {
    await client.query('BEGIN');
    await client.query(
      `INSERT INTO fleet.bundles (source, profile, sealed_key, expires_at, ca_pem, station)
       VALUES ($1, $2, $3, $4, $5, current_user)`,
      [source, parsed.profile, sealedKey, parsed.expiresAt, parsed.caCertificatesPem ?? null],
    );
    await client.query(
      `INSERT INTO fleet.credentials (profile, credential_id, source, sealed, expires_at)
       SELECT $1, credential_id, $2, decode(sealed, 'base64'), expires_at
       FROM json_to_recordset($3::json) AS r(credential_id text, sealed text, expires_at timestamptz)`,
      [parsed.profile, source, JSON.stringify(rows)],
    );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw republished(error);
  }
  return { profile: parsed.profile, credentials: rows.length, expiresAt: parsed.expiresAt };
}

export interface Leased {
  readonly profile: string;
  /** Credentials newly leased to this station now. */
  readonly leased: number;
  /** Credentials leased before (a lease cut before its import) and imported now. */
  readonly recovered: number;
  /** Unleased credentials left in the fleet for this profile. */
  readonly left: number;
}

interface LeasedRow {
  credential_id: string;
  sealed: Buffer;
  expires_at: Date;
  source: string;
  sealed_key: string;
  bundle_expires_at: Date;
  ca_pem: string | null;
}

const LEASED_COLUMNS = `c.credential_id, c.sealed, c.expires_at, c.source, b.sealed_key,
  b.expires_at AS bundle_expires_at, b.ca_pem`;

/**
 * Leases up to `count` live credentials of `profile` to this station and imports them into its
 * pool. Credentials leased to it earlier but not in its pool (a lease cut by a crash before the
 * import) are imported first: nothing leased is lost, nothing is imported twice.
 */
export async function leaseCredentials(
  client: ClientBase,
  local: { db: Db; pool: CredentialPool; passphrase: string; actor: string },
  profile: string,
  count: number,
  fleetPassphrase: string,
): Promise<Leased> {
  const owed = (
    await client.query<LeasedRow>(
      `SELECT ${LEASED_COLUMNS} FROM fleet.credentials c JOIN fleet.bundles b USING (source)
       WHERE c.profile = $1 AND c.leased_to = current_user ORDER BY c.leased_at, c.credential_id`,
      [profile],
    )
  ).rows.filter((row) => !importedHere(local.db, profile, row.credential_id));
  if (owed.length > 0) importBlock(local, profile, owed, fleetPassphrase);
  await checkPassphrase(client, profile, fleetPassphrase);
  const taken = (
    await client.query<LeasedRow>(
      `WITH picked AS (
         SELECT profile, credential_id FROM fleet.credentials
         WHERE profile = $1 AND leased_to IS NULL AND expires_at > now()
         ORDER BY expires_at, credential_id LIMIT $2 FOR UPDATE SKIP LOCKED
       ), leased AS (
         UPDATE fleet.credentials c SET leased_to = current_user, leased_at = now()
         FROM picked p WHERE c.profile = p.profile AND c.credential_id = p.credential_id
         RETURNING c.*
       )
       SELECT ${LEASED_COLUMNS} FROM leased c JOIN fleet.bundles b USING (source)`,
      [profile, count],
    )
  ).rows;
  if (taken.length > 0) importBlock(local, profile, taken, fleetPassphrase);
  const left = await client.query<{ n: string }>(
    'SELECT count(*) AS n FROM fleet.credentials WHERE profile = $1 AND leased_to IS NULL AND expires_at > now()',
    [profile],
  );
  return { profile, leased: taken.length, recovered: owed.length, left: Number(left.rows[0]!.n) };
}

/** A block of leased credentials, opened with the fleet passphrase, into the station's pool as one bundle. */
function importBlock(
  local: { pool: CredentialPool; passphrase: string; actor: string },
  profile: string,
  rows: readonly LeasedRow[],
  fleetPassphrase: string,
): void {
  const keys = new Map<string, Buffer>();
  const keyOf = (row: LeasedRow) => {
    let key = keys.get(row.source);
    if (!key) keys.set(row.source, (key = openDataKey(row, fleetPassphrase)));
    return key;
  };
  const credentials = rows.map((row) => ({
    id: row.credential_id,
    secret: openWithKey(keyOf(row), row.sealed, `${profile}:${row.credential_id}`),
    expiresAt: row.expires_at.toISOString(),
  }));
  const expiresAt = new Date(Math.max(...rows.map((r) => r.bundle_expires_at.getTime()))).toISOString();
  const ca = rows.find((r) => r.ca_pem)?.ca_pem;
  const block = {
    format: 'floor-enroller-bundle',
    version: 1,
    profile,
    expiresAt,
    ...(ca ? { caCertificatesPem: ca } : {}),
    credentials,
  };
  local.pool.import(JSON.stringify(block), local.passphrase, local.actor);
}

/** A wrong fleet passphrase is refused before anything is leased (a leased block it cannot open would wait). */
async function checkPassphrase(client: ClientBase, profile: string, fleetPassphrase: string): Promise<void> {
  const bundle = await client.query<{ source: string; sealed_key: string }>(
    `SELECT source, sealed_key FROM fleet.bundles WHERE profile = $1 AND expires_at > now()
     ORDER BY published_at DESC LIMIT 1`,
    [profile],
  );
  const row = bundle.rows[0];
  if (!row)
    throw new EnrollerError('BUNDLE_CREDENTIALS_EXHAUSTED', `The fleet holds no live bundle for profile "${profile}".`);
  openDataKey(row, fleetPassphrase);
}

function importedHere(db: Db, profile: string, credentialId: string): boolean {
  return (
    db
      .prepare(
        `SELECT 1 FROM bundle_credentials c JOIN bundles b ON b.id = c.bundle_id
         WHERE b.profile = ? AND c.credential_id = ?`,
      )
      .get(profile, credentialId) !== undefined
  );
}

function openDataKey(row: Pick<LeasedRow, 'source' | 'sealed_key'>, fleetPassphrase: string): Buffer {
  try {
    return Buffer.from(open(row.sealed_key, fleetPassphrase, `fleet-bundle:${row.source}`), 'base64');
  } catch (error) {
    if (isEnrollerError(error) && error.code === 'SECRET_WRONG_PASSPHRASE')
      throw new EnrollerError('FLEET_PASSPHRASE_WRONG', "The fleet passphrase does not open the fleet's bundles.");
    throw error;
  }
}

function republished(error: unknown): unknown {
  if ((error as { code?: string }).code === '23505')
    return new EnrollerError(
      'BUNDLE_INVALID',
      'This bundle, or a credential in it, was published to the fleet before; a one-time credential is never ' +
        'handed out twice.',
    );
  return error;
}
