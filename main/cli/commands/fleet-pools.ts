// `enroller fleet publish-bundle FILE` and `fleet lease --profile NAME --count N` (#23): one-time
// credential pools shared by the fleet, each code leased to one station.
import fs from 'node:fs';
import { Command } from 'commander';
import { leaseCredentials, publishBundle } from '../../station/fleet/fleet-credentials';
import { withFleet } from '../../station/fleet/fleet-link';
import { parseCount } from '../numbers';
import { withStation } from '../context';
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
