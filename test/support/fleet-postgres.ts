// A real PostgreSQL for the fleet tests (#23, PEERS.md §9): Debian's server in a temporary cluster
// on 127.0.0.1, run as the `postgres` user (PostgreSQL refuses root), TLS on with a test CA and
// a server certificate for 127.0.0.1, and pg_hba taking TCP logins over TLS only (scram-sha-256).
// The fleet's owner is a login with CREATEROLE that owns the `fleet` database.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { freePort } from './scep-server';

export const OWNER_PASSWORD = 'owner password 0001';

export interface FleetServer {
  readonly port: number;
  readonly caFile: string;
  /** A file holding the owner's password. */
  readonly ownerPasswordFile: string;
  /** postgres://ROLE@127.0.0.1:PORT/fleet?sslmode=verify-full&sslrootcert=CA */
  url(role: string): string;
  /** Runs SQL as the cluster's superuser over the local socket (for tests that look behind the station). */
  psql(...commands: string[]): string;
  stop(): void;
  start(): void;
  close(): void;
}

function postgresBin(): string {
  const versions = fs.readdirSync('/usr/lib/postgresql').sort((a, b) => Number(a) - Number(b));
  return path.join('/usr/lib/postgresql', versions.at(-1)!, 'bin');
}

const asRoot = process.getuid?.() === 0;

/** Runs a PostgreSQL tool as the `postgres` user when we are root (it refuses root), else as ourselves. */
function asPostgres(command: string, args: string[]): string {
  const full = [path.join(postgresBin(), command), ...args];
  const result = asRoot
    ? spawnSync('setpriv', ['--reuid=postgres', '--regid=postgres', '--clear-groups', ...full], { encoding: 'utf8' })
    : spawnSync(full[0]!, full.slice(1), { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} failed: ${result.stderr}${result.stdout}`);
  return result.stdout;
}

function makeTls(dir: string): { caFile: string; certFile: string; keyFile: string } {
  const ssl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  ssl(
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key'].concat([
      '-out',
      'ca.pem',
      '-days',
      '2',
      '-subj',
      '/CN=Fleet Test CA',
    ]),
  );
  ssl(
    ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'server.key'].concat([
      '-out',
      'server.csr',
      '-subj',
      '/CN=127.0.0.1',
    ]),
  );
  fs.writeFileSync(path.join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  ssl(
    ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial'].concat([
      '-out',
      'server.pem',
      '-days',
      '2',
      '-extfile',
      'server.ext',
    ]),
  );
  return {
    caFile: path.join(dir, 'ca.pem'),
    certFile: path.join(dir, 'server.pem'),
    keyFile: path.join(dir, 'server.key'),
  };
}

export async function startFleetServer(): Promise<FleetServer> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'enroller-fleet-pg-'));
  fs.chmodSync(root, 0o755);
  const data = path.join(root, 'pg');
  const tlsDir = path.join(root, 'tls');
  fs.mkdirSync(tlsDir, { mode: 0o755 });
  const tls = makeTls(tlsDir);
  fs.mkdirSync(data, { mode: 0o700 });
  if (asRoot) {
    for (const f of [data, tls.keyFile, tls.certFile]) fs.chownSync(f, pgUid(), pgGid());
  }
  fs.chmodSync(tls.keyFile, 0o600);
  asPostgres('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  fs.writeFileSync(
    path.join(data, 'pg_hba.conf'),
    ['local all postgres trust', 'hostssl all all 127.0.0.1/32 scram-sha-256', ''].join('\n'),
  );
  const port = await freePort();
  const options = [
    `-p ${port}`,
    `-k ${data}`,
    '-c listen_addresses=127.0.0.1',
    '-c ssl=on',
    `-c ssl_cert_file=${tls.certFile}`,
    `-c ssl_key_file=${tls.keyFile}`,
    '-c fsync=on',
  ].join(' ');
  const start = () => asPostgres('pg_ctl', ['-D', data, '-o', options, '-l', path.join(data, 'log'), '-w', 'start']);
  const stop = () => asPostgres('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
  const psql = (...commands: string[]) =>
    asPostgres(
      'psql',
      ['-h', data, '-p', String(port), '-U', 'postgres', '-d', 'fleet', '-Atq'].concat(
        commands.flatMap((c) => ['-c', c]),
      ),
    );
  start();
  asPostgres(
    'psql',
    ['-h', data, '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-q']
      .concat(['-c', `CREATE ROLE fleet_owner LOGIN CREATEROLE PASSWORD '${OWNER_PASSWORD}'`])
      .concat(['-c', 'CREATE DATABASE fleet OWNER fleet_owner']),
  );
  const ownerPasswordFile = path.join(root, 'owner.pass');
  fs.writeFileSync(ownerPasswordFile, OWNER_PASSWORD, { mode: 0o600 });
  return {
    port,
    caFile: tls.caFile,
    ownerPasswordFile,
    url: (role) => `postgres://${role}@127.0.0.1:${port}/fleet?sslmode=verify-full&sslrootcert=${tls.caFile}`,
    psql,
    stop,
    start,
    close: () => {
      try {
        stop();
      } catch {
        // already stopped
      }
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

function pgUid(): number {
  return Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
}
function pgGid(): number {
  return Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
}

/** A fleet made ready by its owner through the CLI (`fleet init`, `fleet add-station` for each name). */
export interface PreparedFleet {
  /** The station's PostgreSQL login (its name). */
  role(name: string): string;
  /** The file holding the station's fleet password. */
  passwordFile(name: string): string;
  /** A connection as that station's login, made the station's own way (verify-full TLS): to try what it may not do. */
  connectAs(name: string): Promise<pg.Client>;
}

export async function prepareFleet(server: FleetServer, names: readonly string[]): Promise<PreparedFleet> {
  const { runEnroller } = await import('../helpers/cli');
  const secrets = fs.mkdtempSync(path.join(os.tmpdir(), 'enroller-fleet-secrets-'));
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'enroller-fleet-owner-'));
  const owner = server.url('fleet_owner');
  const passwordFile = (name: string) => path.join(secrets, `${name}.fleet`);
  const fleet = {
    role: (name: string) => name,
    passwordFile,
    connectAs: async (name: string) => {
      const { connectFleet } = await import('../../main/station/fleet/fleet-link');
      const link = {
        url: `postgres://${name}@127.0.0.1:${server.port}/fleet`,
        caPem: fs.readFileSync(server.caFile, 'utf8'),
      };
      return connectFleet(link, fs.readFileSync(passwordFile(name), 'utf8'));
    },
  };
  const init = await runEnroller(scratch, 'fleet', 'init', owner, '--password-file', server.ownerPasswordFile);
  if (init.lines.at(-1)?.status !== 'initialized') throw new Error(`fleet init: ${JSON.stringify(init)}`);
  for (const name of names) {
    fs.writeFileSync(fleet.passwordFile(name), `${name} fleet password`, { mode: 0o600 });
    const added = await runEnroller(
      scratch,
      ...['fleet', 'add-station', owner, '--password-file', server.ownerPasswordFile, '--station', name],
      ...['--station-password-file', fleet.passwordFile(name)],
    );
    if (added.lines.at(-1)?.status !== 'added') throw new Error(`fleet add-station: ${JSON.stringify(added)}`);
  }
  return fleet;
}
