// What the fleet knows, read back (#23): every device on every station with its latest attempt
// (`fleet report`), and where this station stands with the fleet (`fleet status`).
import type { ClientBase } from 'pg';

export interface FleetReportRow {
  readonly deviceId: string;
  readonly station: string;
  readonly status: string;
  readonly serial: string | null;
  readonly errorCode: string | null;
  readonly time: string;
}

/** Each device's newest job on each station that worked on it, newest first. */
export async function fleetReport(client: ClientBase): Promise<FleetReportRow[]> {
  const rows = await client.query<{
    device_id: string;
    station: string;
    status: string;
    cert_serial: string | null;
    error_code: string | null;
    updated_at: Date;
  }>(
    `SELECT * FROM (
       SELECT DISTINCT ON (station, device_id) station, device_id, status, cert_serial, error_code, updated_at
       FROM fleet.jobs WHERE device_id IS NOT NULL
       ORDER BY station, device_id, updated_at DESC, job_id DESC
     ) latest ORDER BY updated_at DESC, station, device_id`,
  );
  return rows.rows.map((r) => ({
    deviceId: r.device_id,
    station: r.station,
    status: r.status,
    serial: r.cert_serial,
    errorCode: r.error_code,
    time: r.updated_at.toISOString(),
  }));
}

export interface StationYield {
  readonly station: string;
  readonly done: number;
  readonly failed: number;
  readonly waiting: number;
  readonly lastSyncAt: string | null;
}

/** Per station: devices done, failed and waiting by their newest job, and when it last synced. */
export async function fleetYield(client: ClientBase): Promise<StationYield[]> {
  const rows = await client.query<{
    name: string;
    done: string;
    failed: string;
    waiting: string;
    last_sync_at: Date | null;
  }>(
    `WITH latest AS (
       SELECT DISTINCT ON (station, device_id) station, status FROM fleet.jobs WHERE device_id IS NOT NULL
       ORDER BY station, device_id, updated_at DESC, job_id DESC
     )
     SELECT s.name, s.last_sync_at,
            count(*) FILTER (WHERE l.status = 'done') AS done,
            count(*) FILTER (WHERE l.status = 'failed') AS failed,
            count(*) FILTER (WHERE l.status = 'waiting') AS waiting
     FROM fleet.stations s LEFT JOIN latest l ON l.station = s.name
     GROUP BY s.name, s.last_sync_at ORDER BY s.name`,
  );
  return rows.rows.map((r) => ({
    station: r.name,
    done: Number(r.done),
    failed: Number(r.failed),
    waiting: Number(r.waiting),
    lastSyncAt: r.last_sync_at?.toISOString() ?? null,
  }));
}

/** Conflicts found at sync, involving any station: the PKI engineers' list. */
export async function fleetConflicts(
  client: ClientBase,
): Promise<Array<{ deviceId: string; station: string; serial: string; holder: string; foundAt: string }>> {
  const rows = await client.query<{
    device_id: string;
    station: string;
    serial: string;
    holder: string;
    found_at: Date;
  }>('SELECT device_id, station, serial, holder, found_at FROM fleet.conflicts ORDER BY found_at, device_id');
  return rows.rows.map((r) => ({
    deviceId: r.device_id,
    station: r.station,
    serial: r.serial,
    holder: r.holder,
    foundAt: r.found_at.toISOString(),
  }));
}

/** What a station shows of its fleet: each station's yield, and the conflicts it is part of. */
export async function fleetSeenBy(client: ClientBase, station: string) {
  const stations = await fleetYield(client);
  const conflicts = (await fleetConflicts(client)).filter((c) => c.station === station || c.holder === station);
  return { stations, conflicts };
}
