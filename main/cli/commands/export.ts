// `enroller export --format …`: a finished batch for nRF Cloud, Azure DPS, AWS IoT or the PKI team.
import fs from 'node:fs';
import { Command, Option } from 'commander';
import { formatExport, provisionedDevices, type ExportFormat } from '../../station/exports';
import { withStation } from '../with-station';
import { invocation } from '../invocation';
import { parseCount } from '../numbers';
import {
  formatRows,
  LIFECYCLE_COLUMNS,
  LIFECYCLE_FORMATS,
  lifecycleRows,
  type LifecycleFormat,
} from '../../station/lifecycle/lifecycle-exports';

export function exportCommand(): Command {
  return new Command('export')
    .description(
      'provisioned devices as nRF Cloud onboarding CSV, Azure DPS enrollments, AWS bulk registration lines, or a ' +
        'JSON report per device',
    )
    .addOption(
      new Option('--format <format>', 'what to write')
        .choices(['nrfcloud', 'azure-dps', 'aws', 'report', ...LIFECYCLE_FORMATS])
        .makeOptionMandatory(),
    )
    .option('--within <days>', 'expiring: certificates whose notAfter falls within this many days', (v) =>
      parseCount(v, 0),
    )
    .option('--batch <id>', 'only this batch (its id is in each provision result)')
    .option('--out <file>', 'file to write (default: stdout)')
    .option('--tag <tag...>', 'nRF Cloud tags for every device')
    .option('--sub-type <type>', 'nRF Cloud sub type')
    .action(
      async (
        options: {
          format: ExportFormat | LifecycleFormat;
          batch?: string;
          out?: string;
          tag?: string[];
          subType?: string;
          within?: number;
        },
        command: Command,
      ) => {
        if ((LIFECYCLE_FORMATS as readonly string[]).includes(options.format)) {
          return exportLifecycle(command, { ...options, format: options.format as LifecycleFormat });
        }
        const format = options.format as ExportFormat;
        await withStation(command, 'read', async (station, { out }) => {
          const devices = provisionedDevices(station.db, options.batch);
          const text = formatExport(format, devices, {
            ...(options.tag ? { tags: options.tag } : {}),
            ...(options.subType ? { subType: options.subType } : {}),
          });
          if (!options.out) return void invocation().stdout.write(text);
          fs.writeFileSync(options.out, text);
          station.audit.append(
            'batch.exported',
            options.batch ?? 'all',
            { format: options.format, devices: devices.length, file: options.out },
            'cli',
          );
          out.record(
            { status: 'exported', format: options.format, devices: devices.length, file: options.out },
            `${devices.length} devices written to ${options.out} (${options.format}).`,
          );
        });
      },
    );
}

/** `--format expiring | revocation-requests | devinfo | nrfcloud-claim`: CSV with a header, or JSON lines. */
async function exportLifecycle(
  command: Command,
  options: { format: LifecycleFormat; out?: string; within?: number },
): Promise<void> {
  await withStation(command, 'read', async (station, { out }) => {
    const rows = lifecycleRows(station.db, station.audit, options.format, {
      ...(options.within !== undefined ? { withinDays: options.within } : {}),
    });
    const text = formatRows(rows, LIFECYCLE_COLUMNS[options.format], out.json && !options.out);
    if (!options.out) return void invocation().stdout.write(text);
    fs.writeFileSync(options.out, text);
    out.record(
      { status: 'exported', format: options.format, rows: rows.length, file: options.out },
      `${rows.length} rows written to ${options.out} (${options.format}).`,
    );
  });
}
