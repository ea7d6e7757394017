// `npm run bench:fleet` (#23): 10,000 device rows through `fleet sync` — the real CLI, cold, over
// TLS to Debian's PostgreSQL — as rows/s, and as a ratio to the server's own COPY rate for the same
// rows into a table of the same shape, measured in the same run on the same server (the bound: no
// client can load rows faster than the server's bulk loader takes them).
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { runEnroller } from '../helpers/cli';
import { tempDir } from '../helpers/station';
import { prepareFleet, startFleetServer } from '../support/fleet-postgres';

const ROWS = Number(process.argv[2] ?? 10_000);

function fillDevices(dir: string, count: number): void {
  const db = new Database(path.join(dir, 'station.sqlite'));
  const insert = db.prepare(
    "INSERT INTO devices (device_id, device_type, mode, imei, created_at, updated_at) VALUES (?, 'nrf91-default', " +
      "'OPERATIONAL', ?, ?, ?)",
  );
  const now = new Date().toISOString();
  db.transaction(() => {
    for (let i = 0; i < count; i++) insert.run(`nrf-35${String(i).padStart(13, '0')}`, `35${i}`, now, now);
  })();
  db.close();
}

/** Seconds the server's COPY takes for the same rows (server side, from a file it reads itself). */
function copySeconds(server: Awaited<ReturnType<typeof startFleetServer>>, count: number): number {
  const csv = path.join(tempDir('enroller-bench-copy-'), 'devices.csv');
  const now = new Date().toISOString();
  const lines = Array.from({ length: count }, (_, i) => `bench,nrf-35${i},nrf91-default,OPERATIONAL,35${i},,${now}`);
  fs.writeFileSync(csv, `${lines.join('\n')}\n`);
  fs.chmodSync(path.dirname(csv), 0o755);
  fs.chmodSync(csv, 0o644);
  server.psql('CREATE TABLE IF NOT EXISTS public.copy_bound (LIKE fleet.devices INCLUDING ALL)');
  server.psql('TRUNCATE public.copy_bound');
  const out = server.psql('\\timing on', `COPY public.copy_bound FROM '${csv}' (FORMAT csv)`);
  const ms = Number(/Time: ([\d.]+) ms/.exec(out)?.[1]);
  if (!Number.isFinite(ms)) throw new Error(`no timing from psql: ${out}`);
  return ms / 1000;
}

async function main() {
  const server = await startFleetServer();
  try {
    const fleet = await prepareFleet(server, ['bench-station']);
    const dir = tempDir('enroller-bench-fleet-');
    const joined = await runEnroller(
      dir,
      ...['fleet', 'join', server.url(fleet.role('bench-station')), '--password-file'],
      fleet.passwordFile('bench-station'),
    );
    if (joined.code !== 0) throw new Error(joined.stderr || JSON.stringify(joined.lines));
    fillDevices(dir, ROWS);
    const copy = Math.min(copySeconds(server, ROWS), copySeconds(server, ROWS));
    const copyRate = ROWS / copy;
    console.log(
      `bound: the server's COPY of ${ROWS} device rows  ${copy.toFixed(3)} s = ${copyRate.toFixed(0)} rows/s`,
    );
    const start = process.hrtime.bigint();
    const synced = await runEnroller(dir, '--no-attach', 'fleet', 'sync');
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const last = synced.lines.at(-1) as { status?: string; sent?: number; elapsedMs?: number };
    const held = Number(server.psql("SELECT count(*) FROM fleet.devices WHERE station = 'bench-station'").trim());
    if (last.status !== 'synced' || held !== ROWS) throw new Error(`sync incomplete: ${JSON.stringify(last)}, ${held}`);
    const rate = ROWS / seconds;
    console.log(
      `fleet sync ${ROWS} rows  ${seconds.toFixed(2)} s (cold CLI, TLS, all in)  ${rate.toFixed(0)} rows/s  ` +
        `ratio ${(rate / copyRate).toFixed(2)} of COPY`,
    );
    const alone = ROWS / (last.elapsedMs! / 1000);
    console.log(
      `  of which the sync once connected ${(last.elapsedMs! / 1000).toFixed(2)} s  ${alone.toFixed(0)} rows/s  ` +
        `ratio ${(alone / copyRate).toFixed(2)} of COPY (the rest: Node's start, the CLI, TLS and SCRAM login)`,
    );
  } finally {
    server.close();
  }
}

void main();
