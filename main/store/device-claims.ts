// One device ID, one job in flight: a row per claimed ID, under a PRIMARY KEY, so two jobs in one
// process, or in two processes on one data folder, cannot both go on (a check in memory could not
// see the other process). A claim whose holder has died is stale and is taken over.
import fs from 'node:fs';
import os from 'node:os';
import { EnrollerError } from '../../shared/errors';
import type { Db } from './database';
import { prepared } from './prepared';

/** This process, as a claim holder: host, pid and start time (a pid alone can be reused). */
const self = { host: os.hostname(), pid: process.pid, startedMs: Math.round(performance.timeOrigin) };
export const THIS_HOLDER = `${self.host}/${self.pid}/${self.startedMs}`;

/** A claim from another host cannot be checked; after this long it is taken for abandoned. */
const FOREIGN_CLAIM_MAX_AGE_MS = 60 * 60 * 1000;

interface ClaimRow {
  device_id: string;
  job_id: number;
  input: string;
  holder: string;
  claimed_at: string;
}

/** How a job's input reads in a sentence: a port path, or a CSR file's path. */
export function inputName(input: string): string {
  return input.startsWith('file:') ? input.slice('file:'.length) : input;
}

export class DeviceClaims {
  readonly #insert;
  readonly #held;
  readonly #takeOver;
  readonly #release;
  readonly #jobStatus;

  // Prepared once: a claim is taken and given up in every job's commits.
  constructor(db: Db) {
    this.#insert = prepared(
      db,
      `INSERT INTO device_claims (device_id, job_id, input, holder, claimed_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(device_id) DO NOTHING`,
    );
    this.#held = prepared<[string], ClaimRow>(db, 'SELECT * FROM device_claims WHERE device_id = ?');
    this.#takeOver = prepared(
      db,
      'UPDATE device_claims SET job_id = ?, input = ?, holder = ?, claimed_at = ? WHERE device_id = ?',
    );
    this.#release = prepared(db, 'DELETE FROM device_claims WHERE job_id = ?');
    this.#jobStatus = prepared<[number], { status: string }>(db, 'SELECT status FROM jobs WHERE id = ?');
  }

  /**
   * Claims `deviceId` for `jobId`, inside the caller's transaction. Throws DEVICE_ID_CONFLICT
   * when another live job holds it; nothing has been issued or written for this job yet.
   */
  claim(deviceId: string, jobId: number, input: string): void {
    const now = new Date().toISOString();
    const inserted = this.#insert.run(deviceId, jobId, input, THIS_HOLDER, now);
    if (inserted.changes === 1) return;
    const held = this.#held.get(deviceId)!;
    if (held.job_id !== jobId && this.#isLive(held)) {
      throw new EnrollerError(
        'DEVICE_ID_CONFLICT',
        `${inputName(input)} is device ${deviceId}, which ${inputName(held.input)} is enrolling right now (job ` +
          `${held.job_id}); nothing was issued for ${inputName(input)}. ` +
          'Two inputs name the same device: check the labels, CSR subjects or which device is on which port.',
        { deviceId, input: inputName(input), heldBy: inputName(held.input), heldByJob: held.job_id },
      );
    }
    this.#takeOver.run(jobId, input, THIS_HOLDER, now, deviceId);
  }

  /** Gives up whatever `jobId` holds: in the commit that ends the job. */
  release(jobId: number): void {
    this.#release.run(jobId);
  }

  #isLive(held: ClaimRow): boolean {
    const job = this.#jobStatus.get(held.job_id);
    if (job?.status !== 'running') return false;
    if (held.holder === THIS_HOLDER) return true;
    const [host, pid, startedMs] = held.holder.split('/');
    if (host !== self.host) return Date.now() - Date.parse(held.claimed_at) < FOREIGN_CLAIM_MAX_AGE_MS;
    return processAlive(Number(pid), Number(startedMs));
  }
}

/** Is the process that took a claim still running (and not a new one that got its pid)? */
function processAlive(pid: number, startedMs: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  const linux = linuxProcess(pid);
  if (!linux) return true; // no /proc: the signal's answer is all there is
  // A zombie (killed, not yet reaped by its parent) still answers signals, but holds nothing.
  return !linux.exited && Math.abs(linux.startedMs - startedMs) < 5000;
}

/** A process's state and start time from /proc (Linux); undefined where that cannot be read. */
function linuxProcess(pid: number): { exited: boolean; startedMs: number } | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the ")" closing the command name: state is field 3, starttime (ticks since boot) field 22.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    const bootSeconds = Number(/^btime (\d+)$/m.exec(fs.readFileSync('/proc/stat', 'utf8'))?.[1]);
    if (!Number.isFinite(ticks) || !Number.isFinite(bootSeconds)) return undefined;
    const startedMs = bootSeconds * 1000 + (ticks * 1000) / 100; // USER_HZ is 100 on Linux
    return { exited: fields[0] === 'Z' || fields[0] === 'X', startedMs };
  } catch {
    return undefined;
  }
}
