// How a station reaches its fleet: the PostgreSQL URL it joined (without any password), the CA that
// vouches for the server, and the station's name there — kept in the station's settings. TLS is
// always on and always verify-full: the server's certificate must chain to the joined CA and name
// the host in the URL. The role's password sits in an owner-only file in the data folder, like the
// attach key: a station must reach its fleet whenever it enrolls, locked or not, and the role may
// write only its own station's rows.
import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { EnrollerError, isEnrollerError } from '../../../shared/errors';
import type { Db } from '../../store/database';
import { SettingsStore } from '../../store/settings-store';
import { writeOwnerOnlyFile } from '../owner-only-file';

const LINK_KEY = 'fleet.link';
const PASSWORD_FILE = path.join('fleet', 'password');
/** How long to wait for the fleet before working as if it were away (the station is offline-first). */
export const FLEET_CONNECT_TIMEOUT_MS = 3000;

export interface FleetLink {
  /** postgres://role@host:port/database, nothing else. */
  readonly url: string;
  readonly station: string;
  /** PEM of the CA the server's certificate must chain to. */
  readonly caPem: string;
  readonly joinedAt: string;
}

/** The URL as given, checked: postgres(ql)://user@host[:port]/db, with `sslrootcert` naming the CA file. */
export function parseFleetUrl(text: string): { url: string; caFile: string | undefined; role: string } {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new EnrollerError('FLEET_URL_INVALID', `"${text}" is not a URL; give postgres://ROLE@HOST:PORT/DATABASE.`);
  }
  if (!['postgres:', 'postgresql:'].includes(url.protocol) || !url.username || url.pathname.length < 2)
    throw new EnrollerError('FLEET_URL_INVALID', 'The fleet URL must be postgres://ROLE@HOST:PORT/DATABASE.');
  if (url.password)
    throw new EnrollerError(
      'FLEET_URL_INVALID',
      'The fleet URL must not carry a password (command lines are visible to other users): give --password-file.',
    );
  const mode = url.searchParams.get('sslmode');
  if (mode && mode !== 'verify-full')
    throw new EnrollerError(
      'FLEET_TLS_REQUIRED',
      `sslmode=${mode} is not allowed: the station talks to its fleet over TLS with verify-full only.`,
    );
  const caFile = url.searchParams.get('sslrootcert') ?? undefined;
  const bare = `postgres://${url.username}@${url.host}${url.pathname}`;
  return { url: bare, caFile, role: decodeURIComponent(url.username) };
}

export function readLink(db: Db): FleetLink | undefined {
  return new SettingsStore(db).get<FleetLink>(LINK_KEY);
}

export function requireLink(db: Db): FleetLink {
  const link = readLink(db);
  if (!link)
    throw new EnrollerError('FLEET_NOT_JOINED', 'This station has not joined a fleet: run `enroller fleet join URL`.');
  return link;
}

export function saveLink(db: Db, dataDir: string, link: FleetLink, password: string): void {
  fs.mkdirSync(path.join(dataDir, 'fleet'), { recursive: true, mode: 0o700 });
  writeOwnerOnlyFile(path.join(dataDir, PASSWORD_FILE), password);
  new SettingsStore(db).put(LINK_KEY, link);
}

export function readPassword(dataDir: string): string {
  try {
    return fs.readFileSync(path.join(dataDir, PASSWORD_FILE), 'utf8');
  } catch {
    throw new EnrollerError('FLEET_NOT_JOINED', 'The fleet password file is missing: run `enroller fleet join` again.');
  }
}

/** A connection to the fleet as this station's role; every failure mapped to a FLEET_ code. */
export async function connectFleet(
  link: Pick<FleetLink, 'url' | 'caPem'>,
  password: string,
  timeoutMs = FLEET_CONNECT_TIMEOUT_MS,
): Promise<pg.Client> {
  const url = new URL(link.url);
  // Loaded here: a station outside a fleet never pays for the driver at start-up.
  const { default: pgModule } = await import('pg');
  const client = new pgModule.Client({
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: Number(url.port || 5432),
    user: decodeURIComponent(url.username),
    database: decodeURIComponent(url.pathname.slice(1)),
    password,
    // rejectUnauthorized + Node's default identity check: the chain and the host name (verify-full).
    ssl: { ca: link.caPem, rejectUnauthorized: true, minVersion: 'TLSv1.2' },
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs * 4,
    application_name: 'floor-enroller',
  });
  // A server that goes away between queries must not crash the station: the next query reports it.
  client.on('error', () => {});
  try {
    await client.connect();
    return client;
  } catch (error) {
    await client.end().catch(() => {});
    throw fleetError(error);
  }
}

/** Socket and server errors that mean "the fleet is not there now" (pg, net, TLS handshake cut). */
const AWAY = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|EPIPE|57P0[1-3]|53300/;
const AWAY_WORDS = /timeout|Connection terminated|terminating connection|the database system is (starting|shutting)/i;

/**
 * What a pg or socket error means for the station, as a coded error. Anything that is not about
 * the fleet (a local disk error, a bug) is given back as it is, not dressed up as an outage.
 */
export function fleetError(error: unknown): unknown {
  if (isEnrollerError(error)) return error;
  const e = error as { code?: string; message?: string };
  const message = e.message ?? String(error);
  if (e.code === '28P01' || e.code === '28000')
    return new EnrollerError('FLEET_AUTH_FAILED', `The fleet refused this station's login: ${message}.`);
  if (e.code === '42501')
    return new EnrollerError('FLEET_REFUSED', `The fleet refused the write (another station's rows?): ${message}.`);
  if (/self[- ]signed|unable to verify|unable to get|certificate|Hostname\/IP does not match|altnames/i.test(message))
    return new EnrollerError('FLEET_TLS_UNTRUSTED', `The fleet server's certificate is not trusted: ${message}.`);
  if (/does not support SSL|SSL off|no pg_hba.conf entry/i.test(message))
    return new EnrollerError('FLEET_TLS_REQUIRED', `The fleet server does not take this station over TLS: ${message}.`);
  if (AWAY.test(e.code ?? '') || AWAY.test(message) || AWAY_WORDS.test(message))
    return new EnrollerError('FLEET_UNREACHABLE', `The fleet database cannot be reached: ${message}.`, {
      cause: e.code ?? message,
    });
  return error;
}

/** True for the errors that mean "the fleet is away" (the station goes on offline-first). */
export function fleetAway(error: unknown): boolean {
  return isEnrollerError(error) && error.code === 'FLEET_UNREACHABLE';
}

/** Runs `work` on one connection, closed afterwards; its failures as FLEET_ codes where they are the fleet's. */
export async function withConnection<T>(
  link: Pick<FleetLink, 'url' | 'caPem'>,
  password: string,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = await connectFleet(link, password);
  try {
    return await work(client);
  } catch (error) {
    throw fleetError(error);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Runs `work` on a connection as this station's role, closed afterwards. */
export function withFleet<T>(db: Db, dataDir: string, work: (client: pg.Client, link: FleetLink) => Promise<T>) {
  const link = requireLink(db);
  return withConnection(link, readPassword(dataDir), (client) => work(client, link));
}

/** The CA file's PEM, required: the station never talks to its fleet without verify-full TLS. */
export function readCaFile(caFile: string | undefined): string {
  if (!caFile)
    throw new EnrollerError(
      'FLEET_TLS_REQUIRED',
      "Name the CA that signed the fleet server's certificate: add ?sslmode=verify-full&sslrootcert=FILE to the URL.",
    );
  try {
    return fs.readFileSync(caFile, 'utf8');
  } catch (error) {
    throw new EnrollerError(
      'FLEET_TLS_REQUIRED',
      `Cannot read the fleet CA file ${caFile}: ${(error as Error).message}.`,
    );
  }
}
