// `enroller backup`, `restore` and `doctor` (#22): a sealed, consistent snapshot while the station
// runs; a restore that checks the file before it replaces anything and will not go back in time
// over a newer ledger without --force; and a full health check of the database.
import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { EnrollerError } from '../../../shared/errors';
import { verifyAuditChain } from '../../store/audit-log';
import { countsOf, writeBackup } from '../../store/backup';
import { schemaVersion } from '../../store/database';
import { knownBackups, rememberBackup } from '../../station/backup-record';
import { restoreStation } from '../../station/restore';
import { DATABASE_FILE } from '../../station/station-info';
import { connectTo, socketPath } from '../attach/protocol';
import { context } from '../context';
import { withStation } from '../with-station';
import { invocation } from '../invocation';
import { readSecret } from '../secrets';

export function backupCommand(): Command {
  return new Command('backup')
    .description('a sealed, consistent snapshot of the station (CA keys still encrypted), while it runs')
    .requiredOption('--out <file>', 'the backup file to write')
    .option('--passphrase-file <file>', 'the station passphrase, which seals the backup')
    .option('--backup-passphrase-file <file>', 'seal it with this passphrase instead of the station one')
    .action(
      async (options: { out: string; passphraseFile?: string; backupPassphraseFile?: string }, command: Command) => {
        await withStation(command, 'backup', async (station, { out, actor }) => {
          const passphrase = options.backupPassphraseFile
            ? await readSecret(options.backupPassphraseFile, 'Backup passphrase')
            : await stationPassphrase(station, options.passphraseFile, actor);
          const file = path.resolve(options.out);
          const manifest = await writeBackup(station.db, file, passphrase);
          station.audit.append('station.backed-up', 'station', { file, ...manifest.counts }, actor);
          rememberBackup(station.dataDir, { file, createdAt: manifest.createdAt });
          out.record(
            { status: 'backed-up', file, ...manifest },
            `Backed up to ${file}: ${manifest.counts.certificates} certificates, ${manifest.counts.queue} queue ` +
              `items, ${manifest.counts.auditRows} audit rows (schema ${manifest.schemaVersion}).`,
          );
        });
      },
    );
}

/** The station passphrase, proved by the CA it opens: a backup sealed with a typo could never be restored. */
async function stationPassphrase(
  station: import('../../station/station').Station,
  file: string | undefined,
  actor: string,
): Promise<string> {
  const passphrase = await readSecret(file, 'Station passphrase');
  if (station.ca.status().initialized) await station.ca.unlock(passphrase, actor);
  return passphrase;
}

export function restoreCommand(): Command {
  return new Command('restore')
    .description('put a backup back: checked first, the replaced database kept aside (supervisors)')
    .argument('<file>')
    .option('--passphrase-file <file>', 'the passphrase the backup was sealed with')
    .option('--force', 'restore even over a newer ledger (what it would forget is named first)', false)
    .action(async (file: string, options: { passphraseFile?: string; force: boolean }, command: Command) => {
      const { out, dataDir } = context(command);
      if (invocation().running || (await stationRunning(dataDir)))
        throw new EnrollerError(
          'STORE_IN_USE',
          'A station is running on this data folder (the app or `enroller serve`): stop it, then restore.',
        );
      await supervisorOrDamaged(command);
      const passphrase = await readSecret(options.passphraseFile, 'Backup passphrase');
      const restored = restoreStation(dataDir, file, passphrase, { force: options.force, actor: 'cli' });
      out.record(
        { status: 'restored', file: path.resolve(file), ...restored },
        `Restored ${file} (${restored.manifest.createdAt}).` +
          (restored.keptAside ? ` The database it replaced is kept at ${restored.keptAside}.` : ''),
      );
    });
}

/**
 * Restore is for supervisors, checked by the database it replaces — unless there is none, or it
 * cannot be read at all (what a restore is for): then the data folder's owner is at the keyboard.
 */
async function supervisorOrDamaged(command: Command): Promise<void> {
  // A folder without a database (a new machine, a destroyed folder) has nothing to protect.
  if (!fs.existsSync(path.join(context(command).dataDir, DATABASE_FILE))) return;
  try {
    await withStation(command, 'supervise', async () => undefined);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code !== 'STORE_CORRUPT' && code !== 'STORE_NOT_A_DATABASE') throw error;
  }
}

async function stationRunning(dataDir: string): Promise<boolean> {
  const socket = await connectTo(socketPath(dataDir));
  socket?.destroy();
  return socket !== undefined;
}

export function doctorCommand(): Command {
  return new Command('doctor')
    .description("the database's full health: SQLite integrity and foreign keys, the audit chain, backups")
    .action(async (_options: unknown, command: Command) => {
      await withStation(command, 'read', async (station, { out }) => {
        const integrity = station.db.pragma('integrity_check') as Array<{ integrity_check: string }>;
        const foreignKeys = station.db.pragma('foreign_key_check') as unknown[];
        const audit = verifyAuditChain(station.db);
        const [newest] = knownBackups(station.dataDir);
        const problems = [
          ...integrity.map((r) => r.integrity_check).filter((r) => r !== 'ok'),
          ...(foreignKeys.length > 0 ? [`${foreignKeys.length} row(s) point at rows that do not exist`] : []),
          ...(audit.ok ? [] : [audit.message]),
        ];
        const healthy = problems.length === 0;
        out.record(
          {
            status: healthy ? 'healthy' : 'damaged',
            problems,
            schemaVersion: schemaVersion(station.db),
            counts: countsOf(station.db),
            audit: audit.ok ? { ok: true, rows: audit.rows } : { ok: false, seq: audit.seq, problem: audit.problem },
            newestBackup: newest ?? null,
          },
          healthy
            ? `Healthy: integrity ok, foreign keys ok, audit chain of ${audit.rows} rows verified. ` +
                (newest ? `Newest backup: ${newest.file} (${newest.createdAt}).` : 'No backup known yet.')
            : `Damaged: ${problems.join('; ')}`,
        );
        if (!healthy) invocation().setExitCode(1);
      });
    });
}
