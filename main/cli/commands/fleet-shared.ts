// What the fleet shares (#23): one-time credential pools (`fleet publish-bundle`, `fleet lease`), each
// code leased to one station; device types and profiles (`fleet publish`, `fleet pull`).
import fs from 'node:fs';
import { Command } from 'commander';
import { leaseCredentials, publishBundle } from '../../station/fleet/fleet-credentials';
import { publishConfig, pullConfig } from '../../station/fleet/fleet-config';
import { withFleet } from '../../station/fleet/fleet-link';
import { parseCount } from '../numbers';
import { withStation } from '../with-station';
import { readSecret, stationPassphrase } from '../secrets';

export function publishBundleCommand(): Command {
  return new Command('publish-bundle')
    .description("publish a bundle file's one-time credentials to the fleet, sealed with the fleet passphrase")
    .argument('<file>', 'a bundle file from the service (as for `bundle import`)')
    .option('--fleet-passphrase-file <file>', 'the fleet passphrase (seals the credentials in the fleet)')
    .action(async (file: string, options: { fleetPassphraseFile?: string }, command: Command) => {
      await withStation(command, 'configure', async (station, { out, actor }) => {
        const fleetPassphrase = await readSecret(options.fleetPassphraseFile, 'Fleet passphrase');
        const text = fs.readFileSync(file, 'utf8');
        const published = await withFleet(station.db, station.dataDir, (c) => publishBundle(c, text, fleetPassphrase));
        station.audit.append('fleet.bundle-published', published.profile, { ...published }, actor);
        out.record(
          { status: 'published', ...published },
          `${published.credentials} one-time credentials for profile ${published.profile} are in the fleet's pool.`,
        );
      });
    });
}

export function leaseCommand(): Command {
  return new Command('lease')
    .description("lease a block of the fleet's one-time credentials for a profile into this station's pool")
    .requiredOption('--profile <name>', 'the profile the credentials are for')
    .option('--count <n>', 'how many to lease', (v) => parseCount(v, 1), 100)
    .option('--fleet-passphrase-file <file>', 'the fleet passphrase')
    .option('--passphrase-file <file>', 'the station passphrase (seals them in this station)')
    .action(async (options: LeaseOptions, command: Command) => {
      await withStation(command, 'configure', async (station, { out, actor }) => {
        const fleetPassphrase = await readSecret(options.fleetPassphraseFile, 'Fleet passphrase');
        const passphrase = await stationPassphrase(options.passphraseFile);
        const local = { db: station.db, pool: station.credentials, passphrase, actor };
        const leased = await withFleet(station.db, station.dataDir, (c) =>
          leaseCredentials(c, local, options.profile, options.count, fleetPassphrase),
        );
        station.audit.append('fleet.credentials-leased', options.profile, { ...leased }, actor);
        out.record(
          { status: 'leased', ...leased },
          `Leased ${leased.leased} credentials for ${leased.profile}` +
            (leased.recovered ? ` (and ${leased.recovered} leased before)` : '') +
            `; ${leased.left} left in the fleet.`,
        );
      });
    });
}

interface LeaseOptions {
  profile: string;
  count: number;
  fleetPassphraseFile?: string;
  passphraseFile?: string;
}

export function publishCommand(): Command {
  return new Command('publish')
    .description('publish device types and profiles to the fleet for every station to pull')
    .option('--device-type <name...>', 'device types to publish')
    .option('--profile <name...>', 'profiles to publish (their secrets sealed with the fleet passphrase)')
    .option('--passphrase-file <file>', "this station's passphrase (opens the profiles' secrets)")
    .option('--fleet-passphrase-file <file>', 'the fleet passphrase (seals them in the fleet)')
    .action(async (options: PublishOptions, command: Command) => {
      await withStation(command, 'configure', async (station, { out, actor }) => {
        const profiles = options.profile ?? [];
        const secretive = profiles.some((name) => station.profiles.get(name).sealedSecrets);
        const request = {
          deviceTypes: options.deviceType ?? [],
          profiles,
          ...(secretive
            ? {
                passphrase: await stationPassphrase(options.passphraseFile),
                fleetPassphrase: await readSecret(options.fleetPassphraseFile, 'Fleet passphrase'),
              }
            : {}),
        };
        const published = await withFleet(station.db, station.dataDir, (c) => publishConfig(c, station, request));
        station.audit.append('fleet.published', 'fleet', published, actor);
        const { deviceTypes, profiles: names } = published;
        const words = `Published device types [${deviceTypes.join(', ')}] and profiles [${names.join(', ')}].`;
        out.record({ status: 'published', ...published }, words);
      });
    });
}

export function pullCommand(): Command {
  return new Command('pull')
    .description('take the device types and profiles published in the fleet into this station')
    .option('--passphrase-file <file>', "this station's passphrase (seals pulled profiles' secrets here)")
    .option('--fleet-passphrase-file <file>', 'the fleet passphrase (opens them)')
    .action(async (options: { passphraseFile?: string; fleetPassphraseFile?: string }, command: Command) => {
      await withStation(command, 'configure', async (station, { out, actor }) => {
        const secrets = {
          actor,
          ...(options.fleetPassphraseFile
            ? {
                passphrase: await stationPassphrase(options.passphraseFile),
                fleetPassphrase: await readSecret(options.fleetPassphraseFile, 'Fleet passphrase'),
              }
            : {}),
        };
        const pulled = await withFleet(station.db, station.dataDir, (c) => pullConfig(c, station, secrets));
        out.record(
          { status: 'pulled', ...pulled },
          `Pulled device types [${pulled.deviceTypes.join(', ')}] and profiles [${pulled.profiles.join(', ')}]` +
            (pulled.skipped.length
              ? `; not pulled (they carry secrets: give --fleet-passphrase-file): ${pulled.skipped.join(', ')}`
              : ''),
        );
      });
    });
}

interface PublishOptions {
  deviceType?: string[];
  profile?: string[];
  passphraseFile?: string;
  fleetPassphraseFile?: string;
}
