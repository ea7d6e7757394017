// Approvals: the enroller's record that this device (its unique ID) with this pet name was
// enrolled here, forwarded to the service's registration sink — a webhook (HTTP POST of JSON) or
// an export file (JSON lines). Recorded in the same commit as the approval step; forwarded when
// the sink answers, with an expiry after which an unsent approval is dropped on the record.
import fs from 'node:fs';
import { z } from 'zod';
import { EnrollerError, isEnrollerError } from '../../../shared/errors';
import { SettingsStore } from '../../store/settings-store';
import type { AuditLog } from '../../store/audit-log';
import type { Db } from '../../store/database';
import { generatePetName, PET_NAME } from './pet-names';
import { prepared } from '../../store/prepared';

export const ApprovalSink = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('webhook'),
      url: z.url({ protocol: /^https?$/ }),
      ttlMinutes: z
        .number()
        .int()
        .min(1)
        .default(72 * 60),
    })
    .strict(),
  z
    .object({
      kind: z.literal('file'),
      path: z.string().min(1),
      ttlMinutes: z
        .number()
        .int()
        .min(1)
        .default(72 * 60),
    })
    .strict(),
]);
export type ApprovalSink = z.infer<typeof ApprovalSink>;

const SINK_KEY = 'approvals.sink';
const WEBHOOK_TIMEOUT_MS = 10_000;

export interface ForwardResult {
  readonly sent: number;
  readonly pending: number;
  readonly expired: number;
}

export class Approvals {
  readonly #db: Db;
  readonly #audit: AuditLog;
  readonly #settings: SettingsStore;

  constructor(db: Db, audit: AuditLog) {
    this.#db = db;
    this.#audit = audit;
    this.#settings = new SettingsStore(db);
  }

  sink(): ApprovalSink | undefined {
    const stored = this.#settings.get<unknown>(SINK_KEY);
    return stored === undefined ? undefined : ApprovalSink.parse(stored);
  }

  setSink(input: unknown, actor: string): ApprovalSink {
    const parsed = ApprovalSink.safeParse(input);
    if (!parsed.success)
      throw new EnrollerError(
        'PROFILE_INVALID',
        `The registration sink is not valid: ${parsed.error.issues[0]?.message}.`,
      );
    this.#db
      .transaction(() => {
        this.#settings.put(SINK_KEY, parsed.data);
        this.#audit.append('approvals.sink', parsed.data.kind, { ...parsed.data }, actor);
      })
      .immediate();
    return parsed.data;
  }

  petNameOf(deviceId: string): string | undefined {
    return (
      prepared<[string], { pet_name: string | null }>(this.#db, 'SELECT pet_name FROM devices WHERE device_id = ?').get(
        deviceId,
      )?.pet_name ?? undefined
    );
  }

  /** The device's pet name: the one asked for, the one it already has, or a new readable one. */
  petNameFor(deviceId: string, requested?: string): string {
    const current = prepared<[string], { pet_name: string | null }>(
      this.#db,
      'SELECT pet_name FROM devices WHERE device_id = ?',
    ).get(deviceId)?.pet_name;
    if (requested !== undefined) {
      const name = requested.trim().toLowerCase();
      if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(name))
        throw new EnrollerError(
          'APPROVAL_INVALID',
          `"${requested}" cannot be a pet name: letters, digits and dashes, up to 63.`,
        );
      const owner = prepared<[string], { device_id: string }>(
        this.#db,
        'SELECT device_id FROM devices WHERE pet_name = ?',
      ).get(name);
      if (owner && owner.device_id !== deviceId)
        throw new EnrollerError('APPROVAL_INVALID', `The pet name "${name}" already belongs to ${owner.device_id}.`);
      return name;
    }
    if (current) return current;
    const taken = prepared<[string], { n: number }>(this.#db, 'SELECT count(*) AS n FROM devices WHERE pet_name = ?');
    return generatePetName((name) => taken.get(name)!.n > 0);
  }

  /** Call inside the approval's transaction: the pet name is set and the approval is owed to the sink. */
  record(deviceId: string, petName: string, details: Record<string, unknown>): void {
    prepared(this.#db, 'UPDATE devices SET pet_name = ?, updated_at = ? WHERE device_id = ?').run(
      petName,
      new Date().toISOString(),
      deviceId,
    );
    const sink = this.sink();
    if (!sink) return;
    const now = new Date();
    const payload = { deviceId, petName, approvedAt: now.toISOString(), ...details };
    prepared(
      this.#db,
      'INSERT INTO approvals (device_id, pet_name, payload, status, created_at, expires_at) VALUES (?, ?, ?, ' +
        "'pending', ?, ?)",
    ).run(
      deviceId,
      petName,
      JSON.stringify(payload),
      now.toISOString(),
      new Date(now.getTime() + sink.ttlMinutes * 60_000).toISOString(),
    );
  }

  list(): Array<{
    id: number;
    deviceId: string;
    petName: string;
    status: string;
    attempts: number;
    code: string | null;
    expiresAt: string;
  }> {
    return prepared<
      [],
      {
        id: number;
        device_id: string;
        pet_name: string;
        status: string;
        attempts: number;
        last_code: string | null;
        expires_at: string;
      }
    >(this.#db, 'SELECT * FROM approvals ORDER BY id')
      .all()
      .map((r) => ({
        id: r.id,
        deviceId: r.device_id,
        petName: r.pet_name,
        status: r.status,
        attempts: r.attempts,
        code: r.last_code,
        expiresAt: r.expires_at,
      }));
  }

  /** Sends every pending approval the sink will take; expired ones are dropped on the record. */
  async forward(actor = 'station'): Promise<ForwardResult> {
    const sink = this.sink();
    const rows = prepared<[], { id: number; device_id: string; payload: string; expires_at: string }>(
      this.#db,
      "SELECT id, device_id, payload, expires_at FROM approvals WHERE status = 'pending' ORDER BY id",
    ).all();
    let sent = 0;
    let expired = 0;
    for (const row of rows) {
      if (row.expires_at <= new Date().toISOString()) {
        this.#db
          .transaction(() => {
            prepared(
              this.#db,
              "UPDATE approvals SET status = 'expired', last_code = 'APPROVAL_EXPIRED', last_message = ? WHERE id " +
                '= ?',
            ).run('Not forwarded before it expired.', row.id);
            this.#audit.append('approval.expired', row.device_id, { approval: row.id }, actor);
          })
          .immediate();
        expired += 1;
        continue;
      }
      if (!sink) continue;
      try {
        await deliver(sink, row.payload);
        this.#db
          .transaction(() => {
            prepared(
              this.#db,
              "UPDATE approvals SET status = 'sent', attempts = attempts + 1, sent_at = ?, last_code = NULL, " +
                'last_message = NULL WHERE id = ?',
            ).run(new Date().toISOString(), row.id);
            this.#audit.append('approval.forwarded', row.device_id, { approval: row.id, sink: sink.kind }, actor);
          })
          .immediate();
        sent += 1;
      } catch (error) {
        const code = isEnrollerError(error) ? error.code : 'INTERNAL';
        prepared(
          this.#db,
          'UPDATE approvals SET attempts = attempts + 1, last_code = ?, last_message = ? WHERE id = ?',
        ).run(code, error instanceof Error ? error.message : String(error), row.id);
      }
    }
    const pending = (
      prepared(this.#db, "SELECT count(*) AS n FROM approvals WHERE status = 'pending'").get() as { n: number }
    ).n;
    return { sent, pending, expired };
  }
}

async function deliver(sink: ApprovalSink, payload: string): Promise<void> {
  if (sink.kind === 'file') {
    const fd = fs.openSync(sink.path, 'a', 0o640);
    try {
      fs.writeSync(fd, `${payload}\n`);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    return;
  }
  let response: Response;
  try {
    response = await fetch(sink.url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: payload,
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
    });
  } catch (error) {
    throw new EnrollerError('ENROLL_UNREACHABLE', `The registration webhook ${sink.url} cannot be reached.`, {
      cause: String(error),
    });
  }
  if (!response.ok)
    throw new EnrollerError('ENROLL_REJECTED', `The registration webhook answered HTTP ${response.status}.`);
}

export { PET_NAME };
