// The fleet ledger in PostgreSQL (#23): what every station replicated, and the few rules that hold
// across stations. Each station logs in as its own role, named as the station; row-level security
// lets it read the whole fleet but write only rows that carry its own name (a check as cheap as
// `station = current_user`, paid for every row replicated), and nobody may delete. The audit
// anchors are insert-only, so a station's trail, once anchored, cannot be rewritten unseen.
// Applied by the fleet's owner (`fleet init`), idempotently; stations only read and write rows.
import type { ClientBase } from 'pg';

/** The group every station role belongs to: what a station may do, granted once. */
export const STATION_GROUP = 'fleet_station';

const TABLES = `
CREATE SCHEMA IF NOT EXISTS fleet;

-- A station's name is its login role's name.
CREATE TABLE IF NOT EXISTS fleet.stations (
  name          text PRIMARY KEY,
  joined_at     timestamptz,
  last_sync_at  timestamptz,
  -- The station's outbox row up to which everything is here: moved in the commit that brings the rows.
  outbox_cursor bigint NOT NULL DEFAULT 0,
  audit_seq     bigint,
  audit_hash    text
);

CREATE TABLE IF NOT EXISTS fleet.devices (
  station     text NOT NULL,
  device_id   text NOT NULL,
  device_type text NOT NULL,
  mode        text NOT NULL,
  imei        text,
  pet_name    text,
  updated_at  timestamptz NOT NULL,
  PRIMARY KEY (station, device_id)
);

CREATE TABLE IF NOT EXISTS fleet.certificates (
  station     text NOT NULL,
  issuer      text NOT NULL,
  serial      text NOT NULL,
  device_id   text NOT NULL,
  key_sha256  text NOT NULL,
  kind        text NOT NULL,
  status      text NOT NULL,
  not_after   timestamptz,
  revoked_at  timestamptz,
  created_at  timestamptz NOT NULL,
  PRIMARY KEY (station, issuer, serial)
);
CREATE INDEX IF NOT EXISTS certificates_device ON fleet.certificates (device_id);

-- Each attempt on a device, as it ended: the fleet's yield by station, batch and profile.
CREATE TABLE IF NOT EXISTS fleet.jobs (
  station     text NOT NULL,
  job_id      bigint NOT NULL,
  device_id   text,
  batch_id    text,
  profile     text NOT NULL,
  status      text NOT NULL,
  step        text NOT NULL,
  error_code  text,
  cert_serial text,
  updated_at  timestamptz NOT NULL,
  PRIMARY KEY (station, job_id)
);
CREATE INDEX IF NOT EXISTS jobs_device ON fleet.jobs (device_id);

CREATE TABLE IF NOT EXISTS fleet.approvals (
  station     text NOT NULL,
  approval_id bigint NOT NULL,
  device_id   text NOT NULL,
  pet_name    text NOT NULL,
  status      text NOT NULL,
  created_at  timestamptz NOT NULL,
  PRIMARY KEY (station, approval_id)
);

CREATE TABLE IF NOT EXISTS fleet.audit_anchors (
  station     text NOT NULL,
  seq         bigint NOT NULL,
  hash        text NOT NULL,
  anchored_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (station, seq)
);

-- One device ID, one station holding its certificate: taken before a station issues, while the
-- fleet is reachable; taken at sync for certificates issued offline.
CREATE TABLE IF NOT EXISTS fleet.device_claims (
  device_id   text PRIMARY KEY,
  station     text NOT NULL,
  key_sha256  text NOT NULL,
  claimed_at  timestamptz NOT NULL DEFAULT now()
);

-- Found at sync, never merged: a certificate a station issued offline for an ID another station holds.
CREATE TABLE IF NOT EXISTS fleet.conflicts (
  device_id     text NOT NULL,
  station       text NOT NULL,
  serial        text NOT NULL,
  holder        text NOT NULL,
  found_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (device_id, station, serial)
);
`;

/**
 * One-time credential pools (fleet-credentials.ts): a bundle's data key sealed with the fleet
 * passphrase, its credentials sealed under that key, each leased to one station.
 */
const POOLS = `
CREATE TABLE IF NOT EXISTS fleet.bundles (
  source       text PRIMARY KEY,
  profile      text NOT NULL,
  sealed_key   text NOT NULL,
  expires_at   timestamptz NOT NULL,
  ca_pem       text,
  station      text NOT NULL,
  published_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS fleet.credentials (
  profile       text NOT NULL,
  credential_id text NOT NULL,
  source        text NOT NULL REFERENCES fleet.bundles (source),
  sealed        bytea NOT NULL,
  expires_at    timestamptz NOT NULL,
  leased_to     text,
  leased_at     timestamptz,
  PRIMARY KEY (profile, credential_id)
);
CREATE INDEX IF NOT EXISTS credentials_unleased ON fleet.credentials (profile, expires_at) WHERE leased_to IS NULL;
ALTER TABLE fleet.bundles ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS read_all ON fleet.bundles;
CREATE POLICY read_all ON fleet.bundles FOR SELECT USING (true);
DROP POLICY IF EXISTS insert_own ON fleet.bundles;
CREATE POLICY insert_own ON fleet.bundles FOR INSERT WITH CHECK (station = current_user);
GRANT SELECT, INSERT ON fleet.bundles TO ${STATION_GROUP};
ALTER TABLE fleet.credentials ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS read_all ON fleet.credentials;
CREATE POLICY read_all ON fleet.credentials FOR SELECT USING (true);
DROP POLICY IF EXISTS insert_unleased ON fleet.credentials;
CREATE POLICY insert_unleased ON fleet.credentials FOR INSERT WITH CHECK (leased_to IS NULL);
-- A station takes an unleased credential for itself; it never gives one back or takes another's.
DROP POLICY IF EXISTS lease_own ON fleet.credentials;
CREATE POLICY lease_own ON fleet.credentials FOR UPDATE USING (leased_to IS NULL) WITH CHECK (leased_to = current_user);
GRANT SELECT, INSERT ON fleet.credentials TO ${STATION_GROUP};
GRANT UPDATE (leased_to, leased_at) ON fleet.credentials TO ${STATION_GROUP};
`;

/**
 * Device types and profiles a supervisor published for every station (fleet-config.ts). Any
 * station may publish a newer version; each row names the station that published it last. A
 * profile's secrets are sealed with the fleet passphrase.
 */
const PUBLISHED = `
CREATE TABLE IF NOT EXISTS fleet.device_types (
  name         text PRIMARY KEY,
  document     jsonb NOT NULL,
  station      text NOT NULL,
  published_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS fleet.profiles (
  name           text PRIMARY KEY,
  settings       jsonb NOT NULL,
  sealed_secrets text,
  station        text NOT NULL,
  published_at   timestamptz NOT NULL DEFAULT now()
);
${['device_types', 'profiles']
  .map(
    (table) => `
ALTER TABLE fleet.${table} ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS read_all ON fleet.${table};
CREATE POLICY read_all ON fleet.${table} FOR SELECT USING (true);
DROP POLICY IF EXISTS publish ON fleet.${table};
CREATE POLICY publish ON fleet.${table} FOR INSERT WITH CHECK (station = current_user);
DROP POLICY IF EXISTS republish ON fleet.${table};
CREATE POLICY republish ON fleet.${table} FOR UPDATE USING (true) WITH CHECK (station = current_user);
GRANT SELECT, INSERT, UPDATE ON fleet.${table} TO ${STATION_GROUP};`,
  )
  .join('\n')}
`;

/** Tables a station writes rows of its own into (and updates, never deletes). */
const OWN_ROWS = ['devices', 'certificates', 'jobs', 'approvals', 'conflicts', 'device_claims'];

function policies(): string {
  const own = OWN_ROWS.map(
    (table) => `
ALTER TABLE fleet.${table} ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS read_all ON fleet.${table};
CREATE POLICY read_all ON fleet.${table} FOR SELECT USING (true);
DROP POLICY IF EXISTS insert_own ON fleet.${table};
CREATE POLICY insert_own ON fleet.${table} FOR INSERT WITH CHECK (station = current_user);
DROP POLICY IF EXISTS update_own ON fleet.${table};
CREATE POLICY update_own ON fleet.${table} FOR UPDATE
  USING (station = current_user) WITH CHECK (station = current_user);
GRANT SELECT, INSERT, UPDATE ON fleet.${table} TO ${STATION_GROUP};`,
  );
  return `
${own.join('\n')}
ALTER TABLE fleet.stations ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS read_all ON fleet.stations;
CREATE POLICY read_all ON fleet.stations FOR SELECT USING (true);
DROP POLICY IF EXISTS update_own ON fleet.stations;
CREATE POLICY update_own ON fleet.stations FOR UPDATE USING (name = current_user) WITH CHECK (name = current_user);
GRANT SELECT ON fleet.stations TO ${STATION_GROUP};
GRANT UPDATE (joined_at, last_sync_at, outbox_cursor, audit_seq, audit_hash) ON fleet.stations TO ${STATION_GROUP};
ALTER TABLE fleet.audit_anchors ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS read_all ON fleet.audit_anchors;
CREATE POLICY read_all ON fleet.audit_anchors FOR SELECT USING (true);
DROP POLICY IF EXISTS insert_own ON fleet.audit_anchors;
CREATE POLICY insert_own ON fleet.audit_anchors FOR INSERT WITH CHECK (station = current_user);
GRANT SELECT, INSERT ON fleet.audit_anchors TO ${STATION_GROUP};
GRANT USAGE ON SCHEMA fleet TO ${STATION_GROUP};
`;
}

/** Creates (or brings up to date) the fleet schema; run by the fleet database's owner. */
export async function applyFleetSchema(client: ClientBase): Promise<void> {
  await client.query('BEGIN');
  try {
    await client.query(
      `DO $$ BEGIN CREATE ROLE ${STATION_GROUP} NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$`,
    );
    await client.query(TABLES);
    await client.query(policies());
    await client.query(POOLS);
    await client.query(PUBLISHED);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}

/** A station's own login role (named as the station), in the station group, and its row (owner only). */
export async function addStation(client: ClientBase, name: string, password: string): Promise<void> {
  const ident = (await client.query<{ q: string }>('SELECT quote_ident($1) AS q', [name])).rows[0]!.q;
  const literal = (await client.query<{ q: string }>('SELECT quote_literal($1) AS q', [password])).rows[0]!.q;
  await client.query('BEGIN');
  try {
    const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [name]);
    const verb = exists.rowCount ? 'ALTER' : 'CREATE';
    await client.query(`${verb} ROLE ${ident} LOGIN PASSWORD ${literal}`);
    await client.query(`GRANT ${STATION_GROUP} TO ${ident}`);
    await client.query('INSERT INTO fleet.stations (name) VALUES ($1) ON CONFLICT (name) DO NOTHING', [name]);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  }
}
