// `enroller device-type …`: import, list and export device type documents.
import fs from 'node:fs';
import { Command } from 'commander';
import { EnrollerError } from '../../../shared/errors';
import { withStation } from '../with-station';
import { invocation } from '../invocation';

export function deviceTypeCommand(): Command {
  const deviceType = new Command('device-type').description(
    'device types: ID template, subject mapping, sec tags, policies',
  );

  deviceType
    .command('import')
    .description('import (or replace) a device type from a JSON file')
    .argument('<file>', 'FILE.json')
    .action(async (file: string, _options: unknown, command: Command) => {
      await withStation(command, 'configure', async (station, { out }) => {
        let document: unknown;
        try {
          document = JSON.parse(fs.readFileSync(file, 'utf8'));
        } catch (error) {
          throw new EnrollerError('DEVICE_TYPE_INVALID', `${file} is not readable JSON: ${(error as Error).message}`);
        }
        const stored = station.deviceTypes.put(document);
        station.audit.append('device-type.imported', stored.name, { file });
        out.record({ status: 'imported', name: stored.name }, `Device type ${stored.name} imported.`);
      });
    });

  deviceType
    .command('list')
    .description('the device types this station knows')
    .action(async (_options: unknown, command: Command) => {
      await withStation(command, 'read', async (station, { out }) => {
        for (const type of station.deviceTypes.list())
          out.record(
            { name: type.name, device: type.device, profile: type.profile },
            `${type.name.padEnd(24)} ${type.device.padEnd(8)} ${type.description}`,
          );
      });
    });

  deviceType
    .command('export')
    .description('print a device type as JSON')
    .argument('<name>')
    .action(async (name: string, _options: unknown, command: Command) => {
      await withStation(command, 'read', async (station) => {
        invocation().stdout.write(`${JSON.stringify(station.deviceTypes.get(name), null, 2)}\n`);
      });
    });
  return deviceType;
}
