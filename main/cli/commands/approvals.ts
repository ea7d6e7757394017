// `enroller approvals sink|list`: where each enrollee's ID and pet name are forwarded.
import { Command } from 'commander';
import { EnrollerError } from '../../../shared/errors';
import { withStation } from '../with-station';
import { parseCount } from '../numbers';

export function approvalsCommand(): Command {
  const approvals = new Command('approvals').description(
    "each enrollee's ID and pet name, forwarded to the service's registration sink",
  );

  approvals
    .command('sink')
    .description('set the registration sink: a webhook (HTTP POST of JSON) or an export file (JSON lines)')
    .option('--webhook <url>', 'POST each approval to this URL')
    .option('--file <path>', 'append each approval to this file')
    .option(
      '--ttl-minutes <n>',
      'an approval not forwarded within this time is dropped on the record',
      (v) => parseCount(v, 1),
      72 * 60,
    )
    .action(async (options: { webhook?: string; file?: string; ttlMinutes: number }, command: Command) => {
      await withStation(command, 'configure', async (station, { out }) => {
        if (Boolean(options.webhook) === Boolean(options.file))
          throw new EnrollerError('PROFILE_INVALID', 'Give one of --webhook URL or --file PATH.');
        const sink = station.approvals.setSink(
          options.webhook
            ? { kind: 'webhook', url: options.webhook, ttlMinutes: options.ttlMinutes }
            : { kind: 'file', path: options.file, ttlMinutes: options.ttlMinutes },
          'cli',
        );
        out.record({ status: 'saved', ...sink }, `Approvals go to ${sink.kind === 'webhook' ? sink.url : sink.path}.`);
      });
    });

  approvals
    .command('list')
    .description('every approval and whether it reached the sink')
    .action(async (_options: unknown, command: Command) => {
      await withStation(command, 'read', async (station, { out }) => {
        for (const a of station.approvals.list())
          out.record(a, `${String(a.id).padStart(4)}  ${a.status.padEnd(8)}  ${a.deviceId}  ${a.petName}`);
      });
    });
  return approvals;
}
