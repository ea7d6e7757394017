// Numbered schema migrations. Each runs once, in its own transaction, and bumps
// PRAGMA user_version, so a crash mid-migration leaves the previous version intact.
// Append new migrations; never edit one that has shipped.

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'settings',
    sql: `
      CREATE TABLE settings (
        key        TEXT PRIMARY KEY,
        value      TEXT NOT NULL,
        updated_at TEXT NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 2,
    name: 'authority, certificates, audit, device types',
    sql: `
      -- The embedded CA. Keys only as EncryptedPrivateKeyInfo (PBES2/PBKDF2-SHA256 600k/AES-256).
      CREATE TABLE authorities (
        id            INTEGER PRIMARY KEY,
        role          TEXT NOT NULL CHECK (role IN ('root', 'issuing')),
        fingerprint   TEXT NOT NULL UNIQUE,
        subject       TEXT NOT NULL,
        certificate   BLOB NOT NULL,
        encrypted_key BLOB,
        active        INTEGER NOT NULL DEFAULT 1,
        created_at    TEXT NOT NULL
      ) STRICT;
      CREATE UNIQUE INDEX authorities_active_role ON authorities(role) WHERE active = 1;

      -- Every serial ever drawn: reserved before signing, completed after. Never deleted.
      CREATE TABLE certificates (
        serial             TEXT NOT NULL,
        issuer_fingerprint TEXT NOT NULL,
        device_id          TEXT NOT NULL,
        csr_sha256         TEXT NOT NULL,
        key_fingerprint    TEXT NOT NULL,
        kind               TEXT NOT NULL CHECK (kind IN ('birth', 'operational', 'verification')),
        status             TEXT NOT NULL CHECK (status IN ('reserved', 'issued', 'revoked')),
        der                BLOB,
        not_before         TEXT,
        not_after          TEXT,
        revoked_at         TEXT,
        revocation_reason  INTEGER,
        created_at         TEXT NOT NULL,
        PRIMARY KEY (issuer_fingerprint, serial)
      ) STRICT;
      CREATE UNIQUE INDEX certificates_one_per_csr ON certificates(issuer_fingerprint, csr_sha256)
        WHERE kind != 'verification';
      CREATE INDEX certificates_device ON certificates(device_id);

      -- A public key belongs to one device: a second device presenting it is a clone or a test key.
      CREATE TABLE device_keys (
        key_fingerprint TEXT PRIMARY KEY,
        device_id       TEXT NOT NULL,
        first_seen      TEXT NOT NULL
      ) STRICT;

      CREATE TABLE crl_numbers (
        issuer_fingerprint TEXT PRIMARY KEY,
        number             INTEGER NOT NULL CHECK (number > 0)
      ) STRICT;

      -- Append-only, hash-chained: each row's hash covers its content and the previous hash.
      CREATE TABLE audit_log (
        seq       INTEGER PRIMARY KEY,
        at        TEXT NOT NULL,
        actor     TEXT NOT NULL,
        action    TEXT NOT NULL,
        subject   TEXT NOT NULL,
        details   TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash      TEXT NOT NULL UNIQUE
      ) STRICT;

      CREATE TABLE device_types (
        name       TEXT PRIMARY KEY,
        document   TEXT NOT NULL,
        builtin    INTEGER NOT NULL DEFAULT 0,
        updated_at TEXT NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 3,
    name: 'devices and jobs',
    sql: `
      -- Device modes as WISeKey INeS names them.
      CREATE TABLE devices (
        device_id   TEXT PRIMARY KEY,
        device_type TEXT NOT NULL,
        imei        TEXT,
        uuid        TEXT,
        serial      TEXT,
        pet_name    TEXT,
        mode        TEXT NOT NULL DEFAULT 'NEW' CHECK (mode IN ('NEW', 'FACTORY', 'OPERATIONAL', 'DISABLED')),
        created_at  TEXT NOT NULL,
        updated_at  TEXT NOT NULL
      ) STRICT;

      -- One row per attempt on a device; each step's result is committed before the next side effect.
      CREATE TABLE jobs (
        id            INTEGER PRIMARY KEY,
        device_id     TEXT,
        port          TEXT NOT NULL,
        device_type   TEXT NOT NULL,
        profile       TEXT NOT NULL,
        step          TEXT NOT NULL CHECK (step IN ('detected', 'identified', 'approved', 'csr', 'enrolled',
          'written', 'verified', 'done')),
        status        TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed', 'waiting')),
        error_step    TEXT,
        error_code    TEXT,
        error_message TEXT,
        csr_der       BLOB,
        key_evidence  BLOB,
        cert_serial   TEXT,
        cert_issuer   TEXT,
        cert_der      BLOB,
        written       TEXT,
        step_times    TEXT NOT NULL DEFAULT '{}',
        started_at    TEXT NOT NULL,
        updated_at    TEXT NOT NULL
      ) STRICT;
      CREATE INDEX jobs_device ON jobs(device_id);
    `,
  },
  {
    version: 4,
    name: 'enrollment profiles',
    sql: `
      -- Where certificates come from. settings: JSON (shared/profile.ts), safe to show.
      -- secrets: AES-256-GCM under the station passphrase (main/pki/secret-box.ts), or NULL.
      CREATE TABLE profiles (
        name        TEXT PRIMARY KEY,
        protocol    TEXT NOT NULL CHECK (protocol IN ('local', 'est', 'scep')),
        settings    TEXT NOT NULL,
        secrets     TEXT,
        secret_keys TEXT NOT NULL DEFAULT '[]',
        builtin     INTEGER NOT NULL DEFAULT 0,
        created_at  TEXT NOT NULL,
        updated_at  TEXT NOT NULL
      ) STRICT;

      -- The modem's listed SHA-256 of the private key the CSR came from: proof at readback
      -- (and on resume) that the key in the device is still the one that was certified.
      ALTER TABLE jobs ADD COLUMN key_sha256 TEXT;
      ALTER TABLE jobs ADD COLUMN batch_id TEXT;
    `,
  },
  {
    version: 5,
    name: 'offline queue and cached service chains',
    sql: `
      -- What is owed: a CSR waiting for a certificate from a service that could not be reached
      -- (or answered "pending"). The single durable record of it; never deleted.
      CREATE TABLE queue (
        id              INTEGER PRIMARY KEY,
        kind            TEXT NOT NULL CHECK (kind IN ('device', 'csr-file')),
        device_id       TEXT NOT NULL,
        device_type     TEXT NOT NULL,
        profile         TEXT NOT NULL,
        job_id          INTEGER,
        csr_der         BLOB NOT NULL,
        csr_sha256      TEXT NOT NULL,
        csr_file        TEXT,
        out_dir         TEXT,
        status          TEXT NOT NULL CHECK (status IN ('queued', 'pending', 'synced', 'delivered', 'failed')),
        txn             TEXT,
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        last_code       TEXT,
        last_message    TEXT,
        cert_der        BLOB,
        cert_serial     TEXT,
        cert_issuer     TEXT,
        created_at      TEXT NOT NULL,
        updated_at      TEXT NOT NULL,
        synced_at       TEXT
      ) STRICT;
      -- One open debt per CSR and profile: queuing the same CSR again finds the existing row.
      CREATE UNIQUE INDEX queue_one_per_csr ON queue(profile, csr_sha256);
      CREATE INDEX queue_device ON queue(device_id);

      -- A service's CA chain, fetched once when it was reachable and used while it is not.
      CREATE TABLE profile_chains (
        profile     TEXT PRIMARY KEY,
        root_pem    TEXT NOT NULL,
        chain_pem   TEXT NOT NULL,
        fetched_at  TEXT NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 6,
    name: 'operators',
    sql: `
      -- The people at the station. PINs only as scrypt hashes (main/pki/pin-hash.ts).
      CREATE TABLE operators (
        name       TEXT PRIMARY KEY,
        role       TEXT NOT NULL CHECK (role IN ('operator', 'supervisor', 'auditor')),
        pin_hash   TEXT NOT NULL,
        created_at TEXT NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 7,
    name: 'approvals outbox and pet names',
    sql: `
      -- Each enrollee's approval (ID + pet name), waiting to be forwarded to the service's
      -- registration sink; kept after it is sent, dropped (as 'expired') only past its expiry.
      CREATE TABLE approvals (
        id           INTEGER PRIMARY KEY,
        device_id    TEXT NOT NULL,
        pet_name     TEXT NOT NULL,
        payload      TEXT NOT NULL,
        status       TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'expired')),
        attempts     INTEGER NOT NULL DEFAULT 0,
        last_code    TEXT,
        last_message TEXT,
        created_at   TEXT NOT NULL,
        expires_at   TEXT NOT NULL,
        sent_at      TEXT
      ) STRICT;
      CREATE INDEX approvals_open ON approvals(status) WHERE status = 'pending';
      CREATE UNIQUE INDEX devices_pet_name ON devices(pet_name) WHERE pet_name IS NOT NULL;
    `,
  },
  {
    version: 8,
    name: 'enrollment bundles and one-time credentials',
    sql: `
      -- A bundle the service's administrator exported (or the service handed out): one-time
      -- enrollment credentials for a profile, with an expiry. The data key that seals the
      -- credentials is itself sealed with the station passphrase.
      CREATE TABLE bundles (
        id          INTEGER PRIMARY KEY,
        profile     TEXT NOT NULL,
        source      TEXT NOT NULL UNIQUE,
        sealed_key  TEXT NOT NULL,
        expires_at  TEXT NOT NULL,
        imported_at TEXT NOT NULL
      ) STRICT;

      -- The usage ledger: which credential went to which device, for which CSR, and when.
      CREATE TABLE bundle_credentials (
        id            INTEGER PRIMARY KEY,
        bundle_id     INTEGER NOT NULL REFERENCES bundles(id),
        credential_id TEXT NOT NULL,
        sealed        BLOB NOT NULL,
        expires_at    TEXT NOT NULL,
        status        TEXT NOT NULL CHECK (status IN ('available', 'reserved', 'consumed', 'refused')),
        device_id     TEXT,
        csr_sha256    TEXT,
        reserved_at   TEXT,
        consumed_at   TEXT,
        UNIQUE (bundle_id, credential_id)
      ) STRICT;
      CREATE INDEX bundle_credentials_device ON bundle_credentials(device_id);
    `,
  },
  {
    version: 9,
    name: 'one claim per device ID',
    sql: `
      -- Exactly one job at a time may work on a device ID, across jobs and processes sharing this
      -- file: the claim is taken in the commit that opens (or identifies) the job, before anything
      -- is issued, and given up in the commit that ends it (done, failed, waiting). A claim left by
      -- a process that died (kill -9) is taken over by the next job for that ID.
      CREATE TABLE device_claims (
        device_id  TEXT PRIMARY KEY,
        job_id     INTEGER NOT NULL REFERENCES jobs(id),
        input      TEXT NOT NULL,
        holder     TEXT NOT NULL,
        claimed_at TEXT NOT NULL
      ) STRICT;
      CREATE INDEX device_claims_job ON device_claims(job_id);
    `,
  },
  {
    version: 10,
    name: 'certificates found by serial',
    sql: `
      -- The ledger completes and revokes a certificate by its serial; the primary key leads with the
      -- issuer, so without this each lookup read the whole table (31 ms a certificate at 66,000,
      -- found by the 100,000-CSR benchmark).
      CREATE INDEX certificates_serial ON certificates(serial);
    `,
  },
  {
    version: 11,
    name: 'device lifecycle: disabled devices, birth certificates asked for, revocation requests',
    sql: `
      -- Why a supervisor disabled a device; and 'birth' when one set it back to factory mode, so its
      -- next provision issues a birth certificate (cleared in the commit that records it).
      ALTER TABLE devices ADD COLUMN disabled_reason TEXT;
      ALTER TABLE devices ADD COLUMN next_certificate TEXT
        CHECK (next_certificate IS NULL OR next_certificate = 'birth');

      -- A certificate a remote service issued cannot be revoked here: the request to its operator is
      -- kept (export --format revocation-requests), one per certificate.
      CREATE TABLE revocation_requests (
        id           INTEGER PRIMARY KEY,
        device_id    TEXT NOT NULL,
        serial       TEXT NOT NULL,
        issuer       TEXT NOT NULL,
        profile      TEXT,
        reason       INTEGER NOT NULL,
        note         TEXT NOT NULL,
        requested_by TEXT NOT NULL,
        requested_at TEXT NOT NULL,
        UNIQUE (issuer, serial)
      ) STRICT;

      -- The OCSP responder's delegated signing certificates go on the ledger like every other one:
      -- the kind's CHECK grows, which SQLite does by rebuilding the table.
      CREATE TABLE certificates_v11 (
        serial             TEXT NOT NULL,
        issuer_fingerprint TEXT NOT NULL,
        device_id          TEXT NOT NULL,
        csr_sha256         TEXT NOT NULL,
        key_fingerprint    TEXT NOT NULL,
        kind               TEXT NOT NULL CHECK (kind IN ('birth', 'operational', 'verification', 'ocsp-signing')),
        status             TEXT NOT NULL CHECK (status IN ('reserved', 'issued', 'revoked')),
        der                BLOB,
        not_before         TEXT,
        not_after          TEXT,
        revoked_at         TEXT,
        revocation_reason  INTEGER,
        created_at         TEXT NOT NULL,
        PRIMARY KEY (issuer_fingerprint, serial)
      ) STRICT;
      INSERT INTO certificates_v11 SELECT * FROM certificates;
      DROP TABLE certificates;
      ALTER TABLE certificates_v11 RENAME TO certificates;
      CREATE UNIQUE INDEX certificates_one_per_csr ON certificates(issuer_fingerprint, csr_sha256)
        WHERE kind != 'verification';
      CREATE INDEX certificates_device ON certificates(device_id);
      CREATE INDEX certificates_serial ON certificates(serial);
      CREATE INDEX certificates_not_after ON certificates(not_after) WHERE status = 'issued';

      -- A device's history (device show) is its audit rows.
      CREATE INDEX audit_log_subject ON audit_log(subject);
    `,
  },
  {
    version: 12,
    name: 'CA keys in a PKCS#11 token',
    sql: `
      -- Where a CA key is when the station holds no encrypted copy of it (a PKCS#11 token): the URI
      -- without any PIN, the token's label and serial, the key's label. JSON; NULL for file keys.
      ALTER TABLE authorities ADD COLUMN key_location TEXT;
    `,
  },
  {
    version: 13,
    name: 'issuing CA requests for an offline root',
    sql: `
      -- A new issuing key made here and its CSR, waiting for the offline root to sign it
      -- (ca csr → the root signs elsewhere → ca install). The key as everywhere: encrypted, or in a token.
      CREATE TABLE issuing_requests (
        id              INTEGER PRIMARY KEY,
        subject         TEXT NOT NULL,
        csr             BLOB NOT NULL,
        key_fingerprint TEXT NOT NULL UNIQUE,
        encrypted_key   BLOB,
        key_location    TEXT,
        created_by      TEXT NOT NULL,
        created_at      TEXT NOT NULL,
        installed_at    TEXT,
        CHECK ((encrypted_key IS NULL) != (key_location IS NULL))
      ) STRICT;
    `,
  },
  {
    version: 14,
    name: 'what each modem is: model, firmware, attestation token',
    sql: `
      -- Read from the modem when it is identified (+CGMM, +CGMR, %ATTESTTOKEN): on the device's
      -- record, in device show and the devinfo / nrfcloud-claim exports. NULL for other devices.
      ALTER TABLE devices ADD COLUMN model TEXT;
      ALTER TABLE devices ADD COLUMN firmware TEXT;
      ALTER TABLE devices ADD COLUMN attestation_token TEXT;
    `,
  },
  {
    version: 15,
    name: 'fleet outbox',
    sql: `
      -- What changed since the fleet last heard from this station (#23): one row per change to a
      -- device, a certificate, an ended job or an approval, written by triggers in the same commit as
      -- the change. The triggers exist only on a station that joined a fleet (fleet join makes them).
      CREATE TABLE fleet_outbox (
        id   INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('device', 'certificate', 'job', 'approval')),
        key  TEXT NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 16,
    name: 'CMP profiles',
    sql: `
      -- A third enrollment protocol (#24): the protocol's CHECK grows, which SQLite does by
      -- rebuilding the table.
      CREATE TABLE profiles_v16 (
        name        TEXT PRIMARY KEY,
        protocol    TEXT NOT NULL CHECK (protocol IN ('local', 'est', 'scep', 'cmp')),
        settings    TEXT NOT NULL,
        secrets     TEXT,
        secret_keys TEXT NOT NULL DEFAULT '[]',
        builtin     INTEGER NOT NULL DEFAULT 0,
        created_at  TEXT NOT NULL,
        updated_at  TEXT NOT NULL
      ) STRICT;
      INSERT INTO profiles_v16 (name, protocol, settings, secrets, secret_keys, builtin, created_at, updated_at)
        SELECT name, protocol, settings, secrets, secret_keys, builtin, created_at, updated_at FROM profiles;
      DROP TABLE profiles;
      ALTER TABLE profiles_v16 RENAME TO profiles;
    `,
  },
  {
    version: 17,
    name: 'audit rows without an index on their hash',
    sql: `
      -- A row's hash is unique by construction: it covers seq, the table's key, and the hash before
      -- it; audit verify finds any row whose hash is not its own or does not link. The UNIQUE index on
      -- it guarded nothing more and cost the most of any index (#18): its key is random, so each group
      -- of a bulk run rewrote nearly all its pages (10,000 CSRs: 1,025 pages a group). SQLite drops a
      -- column's UNIQUE by rebuilding the table.
      CREATE TABLE audit_log_v17 (
        seq       INTEGER PRIMARY KEY,
        at        TEXT NOT NULL,
        actor     TEXT NOT NULL,
        action    TEXT NOT NULL,
        subject   TEXT NOT NULL,
        details   TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash      TEXT NOT NULL
      ) STRICT;
      INSERT INTO audit_log_v17 (seq, at, actor, action, subject, details, prev_hash, hash)
        SELECT seq, at, actor, action, subject, details, prev_hash, hash FROM audit_log;
      DROP TABLE audit_log;
      ALTER TABLE audit_log_v17 RENAME TO audit_log;
      CREATE INDEX audit_log_subject ON audit_log(subject);
    `,
  },
  {
    version: 18,
    name: 'certificates keyed by serial, then issuer',
    sql: `
      -- The ledger's key led with the issuer, so finding a certificate by its serial alone (complete,
      -- revoke, a job's certificate) needed an index of its own on the serial. With the serial first,
      -- the key serves both, and each certificate issued updates one index on a random key fewer (#18:
      -- a bulk group rewrote nearly every page of each). The issuer's revoked certificates (a CRL) get a
      -- small index of their own. SQLite changes a primary key by rebuilding the table.
      CREATE TABLE certificates_v18 (
        serial             TEXT NOT NULL,
        issuer_fingerprint TEXT NOT NULL,
        device_id          TEXT NOT NULL,
        csr_sha256         TEXT NOT NULL,
        key_fingerprint    TEXT NOT NULL,
        kind               TEXT NOT NULL CHECK (kind IN ('birth', 'operational', 'verification', 'ocsp-signing')),
        status             TEXT NOT NULL CHECK (status IN ('reserved', 'issued', 'revoked')),
        der                BLOB,
        not_before         TEXT,
        not_after          TEXT,
        revoked_at         TEXT,
        revocation_reason  INTEGER,
        created_at         TEXT NOT NULL,
        PRIMARY KEY (serial, issuer_fingerprint)
      ) STRICT;
      INSERT INTO certificates_v18 SELECT * FROM certificates;
      DROP TABLE certificates;
      ALTER TABLE certificates_v18 RENAME TO certificates;
      CREATE UNIQUE INDEX certificates_one_per_csr ON certificates(issuer_fingerprint, csr_sha256)
        WHERE kind != 'verification';
      CREATE INDEX certificates_device ON certificates(device_id);
      CREATE INDEX certificates_not_after ON certificates(not_after) WHERE status = 'issued';
      CREATE INDEX certificates_revoked ON certificates(issuer_fingerprint, revoked_at) WHERE status = 'revoked';
    `,
  },
];

export const latestSchemaVersion = migrations.at(-1)?.version ?? 0;
