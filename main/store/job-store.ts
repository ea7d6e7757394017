// Device jobs: the durable record of where each device is in the flow. Every step's result is
// committed, and on disk, before the pipeline starts the next side effect outside the station: each
// commit fsynced (synchronous=FULL), or in a provision run of its own, the commits before the door
// of a step that acts outside (ACTS_OUTSIDE) made durable together (wal-sync.ts, durable-doors.ts).
import type { Db } from './database';
import { AuditLog } from './audit-log';
import { DeviceClaims } from './device-claims';
import { DeviceRecords } from './device-records';
import { RecoveredCertificates } from './recovered-certificates';
import { Revocations } from './revocations';
import { prepared } from './prepared';
import { immediately } from './immediately';

export const STEPS = ['detected', 'identified', 'approved', 'csr', 'enrolled', 'written', 'verified', 'done'] as const;
export type Step = (typeof STEPS)[number];

/**
 * The steps whose side effect reaches past the station: the device replaces its key (csr), a
 * service or the fleet is asked (enrolled), the device is written (written). Every commit before one
 * of them must be on disk before it runs. The others only read a device (identified, verified) or
 * only commit (approved): a power cut before them loses nothing anyone outside has seen.
 */
export const ACTS_OUTSIDE: ReadonlySet<Step> = new Set<Step>(['csr', 'enrolled', 'written']);

export interface JobRow {
  readonly id: number;
  readonly deviceId: string | null;
  readonly port: string;
  readonly deviceType: string;
  readonly profile: string;
  readonly batchId: string | null;
  readonly step: Step;
  readonly status: 'running' | 'done' | 'failed' | 'waiting';
  readonly csrDer: Uint8Array | null;
  readonly certSerial: string | null;
  readonly certIssuer: string | null;
  readonly certDer: Uint8Array | null;
  readonly keySha256: string | null;
  readonly keyEvidence: Uint8Array | null;
  readonly errorCode: string | null;
  readonly errorMessage: string | null;
}

interface RawJob {
  id: number;
  device_id: string | null;
  port: string;
  device_type: string;
  profile: string;
  batch_id: string | null;
  step: Step;
  status: JobRow['status'];
  csr_der: Buffer | null;
  cert_serial: string | null;
  cert_issuer: string | null;
  cert_der: Buffer | null;
  key_sha256: string | null;
  key_evidence: Buffer | null;
  error_code: string | null;
  error_message: string | null;
}

const toRow = (r: RawJob): JobRow => ({
  id: r.id,
  deviceId: r.device_id,
  port: r.port,
  deviceType: r.device_type,
  profile: r.profile,
  batchId: r.batch_id,
  step: r.step,
  status: r.status,
  csrDer: r.csr_der ? new Uint8Array(r.csr_der) : null,
  certSerial: r.cert_serial,
  certIssuer: r.cert_issuer,
  certDer: r.cert_der ? new Uint8Array(r.cert_der) : null,
  keySha256: r.key_sha256,
  keyEvidence: r.key_evidence ? new Uint8Array(r.key_evidence) : null,
  errorCode: r.error_code,
  errorMessage: r.error_message,
});

export interface StepResult {
  readonly deviceId?: string;
  readonly csrDer?: Uint8Array;
  readonly keyEvidence?: Uint8Array;
  readonly certSerial?: string;
  readonly certIssuer?: string;
  readonly certDer?: Uint8Array;
  readonly written?: Record<string, string>;
  readonly keySha256?: string;
}

export interface NewJob {
  readonly port: string;
  readonly deviceType: string;
  readonly profile: string;
  readonly batchId?: string | undefined;
  readonly deviceId?: string | undefined;
}

const STATUS_OF = (step: Step): JobRow['status'] => (step === 'done' ? 'done' : 'running');

export class JobStore {
  readonly #db: Db;
  readonly #insert;
  readonly #byId;
  readonly #latest;
  readonly #holding;
  readonly #wait;
  readonly #times;
  readonly #update;
  readonly #inheritRow;
  readonly #fail;
  readonly #claims: DeviceClaims;
  /** The database file: a disk error met on it is read against its folder (disk-errors.ts). */
  get databaseFile(): string {
    return this.#db.name;
  }

  /** What the runner asks about a device before it works on it: its mode, a birth certificate asked for. */
  readonly devices: DeviceRecords;
  /** The certificate a device held before it was provisioned again on purpose is superseded here. */
  readonly revocations: Revocations;
  /** Certificates a restored station issued and forgot, recognised in the devices that hold them. */
  readonly recovered: RecoveredCertificates;

  constructor(db: Db) {
    this.#db = db;
    this.#claims = new DeviceClaims(db);
    this.devices = new DeviceRecords(db);
    this.revocations = new Revocations(db, new AuditLog(db));
    this.recovered = new RecoveredCertificates(db);
    this.#insert = prepared(
      db,
      `INSERT INTO jobs (port, device_type, profile, batch_id, device_id, step, status, step_times, started_at,
         updated_at)
       VALUES (?, ?, ?, ?, ?, 'detected', 'running', ?, ?, ?)`,
    );
    this.#byId = prepared<[number], RawJob>(db, 'SELECT * FROM jobs WHERE id = ?');
    // A job that failed before it opened (never past detection) holds nothing to resume or to prove done.
    this.#latest = prepared<[string], RawJob>(
      db,
      "SELECT * FROM jobs WHERE device_id = ? AND step != 'detected' ORDER BY id DESC LIMIT 1",
    );
    this.#holding = prepared<[string], RawJob>(
      db,
      `SELECT * FROM jobs WHERE device_id = ? AND csr_der IS NOT NULL AND (status != 'failed' OR cert_der IS NOT NULL)
       ORDER BY id DESC LIMIT 1`,
    );
    this.#wait = prepared(db, "UPDATE jobs SET status = 'waiting', error_message = ?, updated_at = ? WHERE id = ?");
    this.#times = prepared<[number], { step_times: string }>(db, 'SELECT step_times FROM jobs WHERE id = ?');
    this.#update = prepared(
      db,
      `UPDATE jobs SET step = ?, status = ?, updated_at = ?, step_times = ?,
         device_id = coalesce(?, device_id), csr_der = coalesce(?, csr_der), key_evidence = coalesce(?, key_evidence),
         cert_serial = coalesce(?, cert_serial), cert_issuer = coalesce(?, cert_issuer), cert_der = coalesce(?,
           cert_der),
         written = coalesce(?, written), key_sha256 = coalesce(?, key_sha256), error_step = NULL, error_code = NULL,
           error_message = NULL
       WHERE id = ?`,
    );
    this.#inheritRow = prepared(
      db,
      'UPDATE jobs SET csr_der = ?, key_evidence = ?, key_sha256 = ?, cert_serial = ?, cert_issuer = ?, cert_der = ' +
        '?, updated_at = ? WHERE id = ?',
    );
    this.#fail = prepared(
      db,
      "UPDATE jobs SET status = 'failed', error_step = ?, error_code = ?, error_message = ?, updated_at = ? WHERE id " +
        '= ?',
    );
  }

  create(port: string, deviceType: string, profile: string, batchId?: string): JobRow {
    return this.get(this.#create({ port, deviceType, profile, batchId }));
  }

  /**
   * Opens the job of an identified device and records the steps it has reached, in one
   * transaction: adopting an earlier unfinished job's CSR and certificate when given.
   */
  start(
    job: NewJob & { readonly deviceId: string },
    steps: readonly Step[],
    options: { inheritFrom?: JobRow | undefined; result?: StepResult } = {},
    extra?: () => void,
  ): JobRow {
    let id = 0;
    immediately(this.#db, () => {
      id = this.#create(job);
      // The device ID is this job's alone until it ends; a job already at work on it wins.
      this.#claims.claim(job.deviceId, id, job.port);
      if (options.inheritFrom) this.#inherit(id, options.inheritFrom);
      this.#advance(id, steps, options.result ?? {});
      extra?.();
    });
    return this.get(id);
  }

  /** A device that failed before it had a job (it could not be reached or identified). */
  failNew(job: NewJob, step: Step, code: string, message: string): void {
    immediately(this.#db, () => this.fail(this.#create(job), step, code, message));
  }

  get(id: number): JobRow {
    return toRow(this.#byId.get(id)!);
  }

  /** The newest job for a device, if any: the one to resume, or the proof it is done. */
  latestFor(deviceId: string): JobRow | undefined {
    const row = this.#latest.get(deviceId);
    return row ? toRow(row) : undefined;
  }

  /**
   * The newest job that gave this device ID something a second key must not get besides: a
   * certificate, or a CSR that is done, waiting or unfinished (not one that failed empty-handed,
   * nor one stopped before it had a CSR — it holds no key).
   */
  latestHolding(deviceId: string): JobRow | undefined {
    const row = this.#holding.get(deviceId);
    return row ? toRow(row) : undefined;
  }

  /** Records that `step` (or each of `steps`, in order) is reached, with what it produced, in one transaction. */
  advance(id: number, step: Step | readonly Step[], result: StepResult = {}, extra?: () => void): JobRow {
    immediately(this.#db, () => {
      this.#advance(id, typeof step === 'string' ? [step] : step, result);
      extra?.();
    });
    return this.get(id);
  }

  /** Adopts an earlier unfinished job's durable results (CSR, certificate) into this one. */
  #inherit(id: number, from: JobRow): void {
    this.#inheritRow.run(
      from.csrDer ? Buffer.from(from.csrDer) : null,
      from.keyEvidence ? Buffer.from(from.keyEvidence) : null,
      from.keySha256,
      from.certSerial,
      from.certIssuer,
      from.certDer ? Buffer.from(from.certDer) : null,
      new Date().toISOString(),
      id,
    );
  }

  /** Forgets an inherited CSR whose key is no longer in the device (it was regenerated elsewhere). */
  dropStaleKey(id: number): JobRow {
    prepared(
      this.#db,
      'UPDATE jobs SET csr_der = NULL, key_sha256 = NULL, cert_serial = NULL, cert_issuer = NULL, cert_der = NULL, ' +
        'updated_at = ? WHERE id = ?',
    ).run(new Date().toISOString(), id);
    return this.get(id);
  }

  /** A job parked until the service answers (EST 202, SCEP PENDING, offline "hold"); its claim ends with it. */
  markWaiting(id: number, message: string): void {
    immediately(this.#db, () => {
      this.#wait.run(message, new Date().toISOString(), id);
      this.#claims.release(id);
    });
  }

  fail(id: number, step: Step, code: string, message: string): void {
    immediately(this.#db, () => {
      this.#fail.run(step, code, message, new Date().toISOString(), id);
      this.#claims.release(id);
    });
  }

  upsertDevice(device: {
    deviceId: string;
    deviceType: string;
    imei?: string | undefined;
    uuid?: string | undefined;
    model?: string | undefined;
    firmware?: string | undefined;
    attestationToken?: string | undefined;
    mode?: string;
  }): void {
    const now = new Date().toISOString();
    // A provision that sets the mode has done what a supervisor asked for (a birth certificate).
    prepared(
      this.#db,
      `INSERT INTO devices (device_id, device_type, imei, uuid, model, firmware, attestation_token, mode, created_at,
           updated_at) VALUES (@id, @type, @imei, @uuid, @model, @firmware, @token, coalesce(@mode, 'NEW'), @now, @now)
         ON CONFLICT(device_id) DO UPDATE SET imei = coalesce(excluded.imei, imei), uuid = coalesce(excluded.uuid,
           uuid), model = coalesce(excluded.model, model), firmware = coalesce(excluded.firmware, firmware),
           attestation_token = coalesce(excluded.attestation_token, attestation_token),
           mode = coalesce(@mode, mode),
           next_certificate = CASE WHEN @mode IS NULL THEN next_certificate END,
           updated_at = excluded.updated_at`,
    ).run({
      id: device.deviceId,
      type: device.deviceType,
      imei: device.imei ?? null,
      uuid: device.uuid ?? null,
      model: device.model ?? null,
      firmware: device.firmware ?? null,
      token: device.attestationToken ?? null,
      mode: device.mode ?? null,
      now,
    });
  }

  #create(job: NewJob): number {
    const now = new Date().toISOString();
    return Number(
      this.#insert.run(
        job.port,
        job.deviceType,
        job.profile,
        job.batchId ?? null,
        job.deviceId ?? null,
        JSON.stringify({ detected: now }),
        now,
        now,
      ).lastInsertRowid,
    );
  }

  #advance(id: number, steps: readonly Step[], result: StepResult): void {
    const now = new Date().toISOString();
    const times = JSON.parse(this.#times.get(id)!.step_times) as Record<string, string>;
    for (const step of steps) times[step] = now;
    const last = steps.at(-1)!;
    if (result.deviceId) this.#claims.claim(result.deviceId, id, this.get(id).port);
    this.#update.run(
      last,
      STATUS_OF(last),
      now,
      JSON.stringify(times),
      result.deviceId ?? null,
      result.csrDer ? Buffer.from(result.csrDer) : null,
      result.keyEvidence ? Buffer.from(result.keyEvidence) : null,
      result.certSerial ?? null,
      result.certIssuer ?? null,
      result.certDer ? Buffer.from(result.certDer) : null,
      result.written ? JSON.stringify(result.written) : null,
      result.keySha256 ?? null,
      id,
    );
    if (last === 'done') this.#claims.release(id);
  }
}
