// `enroller fleet …` (#23): many stations, one ledger in PostgreSQL. The fleet's owner prepares the
// database (`init`) and a login for each station (`add-station`); a supervisor joins a station
// (`join`); `sync` sends what changed, `status` and `report` read the fleet back.
import { Command } from 'commander';
import type { ClientBase } from 'pg';
import { applyFleetSchema, addStation } from '../../station/fleet/fleet-schema';
import {
  withConnection,
  parseFleetUrl,
  readCaFile,
  saveLink,
  withFleet,
  type FleetLink,
} from '../../station/fleet/fleet-link';
import { startOutbox, pendingCount } from '../../station/fleet/fleet-outbox';
import { syncToFleet, whoAmI } from '../../station/fleet/fleet-sync';
import { EnrollerError } from '../../../shared/errors';
import { context } from '../context';
import { withStation } from '../with-station';
import { readSecret } from '../secrets';
import { fleetStatus } from './fleet-status';
import { leaseCommand, publishBundleCommand, publishCommand, pullCommand } from './fleet-shared';
import { fleetReport } from '../../station/fleet/fleet-report';

export function fleetCommand(): Command {
  const fleet = new Command('fleet').description('many stations, one ledger: the fleet database in PostgreSQL');
  fleet.addCommand(initCommand());
  fleet.addCommand(addStationCommand());
  fleet.addCommand(joinCommand());
  fleet.addCommand(syncCommand());
  fleet.addCommand(fleetStatus());
  fleet.addCommand(reportCommand());
  fleet.addCommand(publishBundleCommand());
  fleet.addCommand(leaseCommand());
  fleet.addCommand(publishCommand());
  fleet.addCommand(pullCommand());
  return fleet;
}

/** The owner's own connection, for the two set-up commands that make the schema and station logins. */
async function asOwner<T>(url: string, passwordFile: string | undefined, work: (client: ClientBase) => Promise<T>) {
  const parsed = parseFleetUrl(url);
  const owner = { url: parsed.url, caPem: readCaFile(parsed.caFile) };
  return withConnection(owner, await readSecret(passwordFile, 'Fleet owner password'), work);
}

function initCommand(): Command {
  return new Command('init')
    .description("create or update the fleet's tables, roles and row-level security (the fleet database's owner)")
    .argument('<url>', 'postgres://OWNER@HOST:PORT/DB?sslmode=verify-full&sslrootcert=CA.pem')
    .option('--password-file <file>', "the owner's password")
    .action(async (url: string, options: { passwordFile?: string }, command: Command) => {
      const { out } = context(command);
      await asOwner(url, options.passwordFile, applyFleetSchema);
      out.record(
        { status: 'initialized' },
        'The fleet database is ready: add a login for each station with `fleet add-station`.',
      );
    });
}

function addStationCommand(): Command {
  return new Command('add-station')
    .description("give a station its own login in the fleet (the fleet database's owner)")
    .argument('<url>', 'postgres://OWNER@HOST:PORT/DB?sslmode=verify-full&sslrootcert=CA.pem')
    .requiredOption('--station <name>', "the station's name in the fleet")
    .option('--password-file <file>', "the owner's password")
    .requiredOption('--station-password-file <file>', "the station login's new password")
    .action(
      async (
        url: string,
        options: { station: string; passwordFile?: string; stationPasswordFile: string },
        command: Command,
      ) => {
        const { out } = context(command);
        const password = await readSecret(options.stationPasswordFile, 'Station password');
        if (password.length < 12)
          throw new EnrollerError('FLEET_AUTH_FAILED', "A station's fleet password must have at least 12 characters.");
        await asOwner(url, options.passwordFile, (client) => addStation(client, options.station, password));
        out.record(
          { status: 'added', station: options.station, role: options.station },
          `Station ${options.station} may now join (its login is its name).`,
        );
      },
    );
}

function joinCommand(): Command {
  return new Command('join')
    .description('join this station to a fleet: it replicates its ledger there and claims device IDs fleet-wide')
    .argument('<url>', 'postgres://ROLE@HOST:PORT/DB?sslmode=verify-full&sslrootcert=CA.pem')
    .option('--password-file <file>', "this station's fleet password")
    .option('--station <name>', 'the name the fleet knows this station by (checked)')
    .action(async (url: string, options: { passwordFile?: string; station?: string }, command: Command) => {
      await withStation(command, 'supervise', async (station, { out, actor }) => {
        const parsed = parseFleetUrl(url);
        const caPem = readCaFile(parsed.caFile);
        const password = await readSecret(options.passwordFile, 'Fleet password');
        const name = await withConnection({ url: parsed.url, caPem }, password, async (client) => {
          const known = (await whoAmI(client)).name;
          if (options.station && options.station !== known)
            throw new EnrollerError(
              'FLEET_STATION_MISMATCH',
              `The fleet knows login ${parsed.role} as station ${known}, not ${options.station}.`,
              { station: known },
            );
          await client.query(
            'UPDATE fleet.stations SET joined_at = coalesce(joined_at, now()) WHERE name = current_user',
          );
          return known;
        });
        const link: FleetLink = { url: parsed.url, station: name, caPem, joinedAt: new Date().toISOString() };
        saveLink(station.db, station.dataDir, link, password);
        startOutbox(station.db);
        station.audit.append('fleet.joined', name, { url: parsed.url }, actor);
        const pending = pendingCount(station.db, 0);
        out.record(
          { status: 'joined', station: name, url: parsed.url, pending },
          `Joined the fleet as ${name}; ${pending} changes to send (fleet sync).`,
        );
      });
    });
}

function syncCommand(): Command {
  return new Command('sync')
    .description('send what changed on this station to the fleet, and anchor its audit trail there')
    .action(async (_options: unknown, command: Command) => {
      await withStation(command, 'operate', async (station, { out }) => {
        const result = await withFleet(station.db, station.dataDir, (client) =>
          syncToFleet(station.db, client, station.audit),
        );
        for (const c of result.conflicts)
          out.record(
            { status: 'conflict', deviceId: c.deviceId, serial: c.serial, holder: c.holder },
            `✘ conflict: ${c.deviceId} (serial ${c.serial}) is held by station ${c.holder}`,
          );
        out.record(
          {
            status: 'synced',
            station: result.station,
            sent: result.sent,
            slices: result.slices,
            conflicts: result.conflicts.length,
            auditSeq: result.auditHead?.seq ?? 0,
            pending: result.pending,
            elapsedMs: result.elapsedMs,
          },
          `Synced ${result.sent} changes as ${result.station}` +
            (result.conflicts.length ? `; ${result.conflicts.length} conflicts` : '') +
            '.',
        );
      });
    });
}

function reportCommand(): Command {
  return new Command('report')
    .description('every device on every station of the fleet: device, station, status, serial, time')
    .action(async (_options: unknown, command: Command) => {
      await withStation(command, 'read', async (station, { out }) => {
        const rows = await withFleet(station.db, station.dataDir, fleetReport);
        for (const row of rows) {
          const { deviceId, station: at, status, serial, time } = row;
          out.record(
            { device: deviceId, ...row },
            `${deviceId.padEnd(24)} ${at.padEnd(12)} ${status.padEnd(8)} ${serial ?? '-'}  ${time}`,
          );
        }
      });
    });
}
