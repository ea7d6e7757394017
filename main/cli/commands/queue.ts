// `enroller queue list|sync`: what the station owes (CSRs waiting for a service), and settling it.
import { Command } from 'commander';
import { syncQueue } from '../../station/sync/queue-sync';
import { QueueStore } from '../../store/queue-store';
import { withStation } from '../with-station';
import { invocation } from '../invocation';
import { parseCount } from '../numbers';
import { stationPassphrase } from '../secrets';

export function queueCommand(): Command {
  const queue = new Command('queue').description('the offline queue: CSRs waiting for a certificate from a service');

  queue.addCommand(queueList());

  queue.addCommand(queueSync());
  return queue;
}

function queueList(): Command {
  return new Command('list')
    .description('every queued item and where it stands')
    .action(async (_options: unknown, command: Command) => {
      await withStation(command, 'read', async (station, { out }) => {
        for (const item of new QueueStore(station.db).list()) {
          out.record(
            {
              id: item.id,
              kind: item.kind,
              deviceId: item.deviceId,
              profile: item.profile,
              status: item.status,
              attempts: item.attempts,
              csr: item.csrFile ?? undefined,
              outDir: item.outDir ?? undefined,
              certSerial: item.certSerial ?? undefined,
              code: item.lastCode ?? undefined,
              message: item.lastMessage ?? undefined,
              nextAttemptAt: item.nextAttemptAt,
            },
            `${String(item.id).padStart(4)}  ${item.status.padEnd(9)}  ${item.deviceId}  ` +
              `${item.profile}${item.lastCode ? `  ${item.lastCode}` : ''}`,
          );
        }
      });
    });
}

function queueSync(): Command {
  return new Command('sync')
    .description(
      'ask the services for every open item now; certificates for CSR files go to the out dir their enroll command ' +
        'named',
    )
    .option('--passphrase-file <file>', 'station passphrase, when a profile has sealed secrets')
    .option('--concurrency <n>', 'requests in flight at once', (v) => parseCount(v, 1), 4)
    .action(async (options: { passphraseFile?: string; concurrency: number }, command: Command) => {
      await withStation(command, 'operate', async (station, { out }) => {
        const queued = new QueueStore(station.db).list(['queued', 'pending']);
        const sealed = new Set(
          queued
            .map((i) => i.profile)
            .filter(
              (name) => station.profiles.get(name).sealedSecrets !== null || station.credentials.hasBundles(name),
            ),
        );
        const passphrase = sealed.size > 0 ? await stationPassphrase(options.passphraseFile) : undefined;
        const outcomes = await syncQueue(station, {
          passphrase,
          concurrency: options.concurrency,
          actor: 'cli',
          onItem: (o) =>
            out.record(
              { ...o },
              o.status === 'issued'
                ? `✔ ${o.deviceId}  serial ${o.certSerial}${o.certFile ? `  → ${o.certFile}` : ''}`
                : o.status === 'pending'
                  ? `… ${o.deviceId}  ${o.code}: ${o.message}`
                  : `✘ ${o.deviceId}  ${o.code}: ${o.message}`,
            ),
        });
        if (outcomes.length === 0) out.record({ status: 'empty', synced: 0 }, 'Nothing is queued.');
        if (outcomes.some((o) => o.status !== 'issued')) invocation().setExitCode(1);
      });
    });
}
