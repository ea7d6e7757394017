// `enroller bundle import|list`: enrollment bundles from the service's administrator, and the
// usage ledger of their one-time credentials.
import fs from 'node:fs';
import { Command } from 'commander';
import { withStation } from '../with-station';
import { stationPassphrase } from '../secrets';

export function bundleCommand(): Command {
  const bundle = new Command('bundle').description(
    'enrollment bundles: one-time enrollment credentials for offline work',
  );

  bundle
    .command('import')
    .description('import a bundle file (credentials are sealed with the station passphrase)')
    .argument('<file>')
    .option('--passphrase-file <file>', 'station passphrase')
    .action(async (file: string, options: { passphraseFile?: string }, command: Command) => {
      await withStation(command, 'configure', async (station, { out }) => {
        const passphrase = await stationPassphrase(options.passphraseFile);
        const imported = station.credentials.import(fs.readFileSync(file, 'utf8'), passphrase, 'cli');
        out.record(
          { status: 'imported', ...imported },
          `${imported.credentials} one-time credentials for profile ${imported.profile}, valid until ` +
            `${imported.expiresAt}.`,
        );
      });
    });

  bundle
    .command('list')
    .description('every one-time credential: available, reserved, consumed (by which device and CSR) or refused')
    .option('--profile <name>', 'only this profile')
    .action(async (options: { profile?: string }, command: Command) => {
      await withStation(command, 'read', async (station, { out }) => {
        for (const use of station.credentials.usage(options.profile))
          out.record({ ...use }, `${use.credentialId.padEnd(20)} ${use.status.padEnd(9)} ${use.deviceId ?? ''}`);
      });
    });
  return bundle;
}
