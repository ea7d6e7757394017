// `enroller info`: version, contract, data folder, schema and the last backup. It opens the database
// and nothing more (no CA, no enrollers), so it answers as fast as Node starts (#18).
import { Command } from 'commander';
import { openStationDatabase, stationInfo } from '../../station/station-info';
import { appVersion, context } from '../context';
import { invocation } from '../invocation';

export function infoCommand(): Command {
  return new Command('info')
    .description('print the station version, contract version, data folder and schema version')
    .action((_options: unknown, command: Command) => {
      const { out, dataDir } = context(command);
      const running = invocation().running;
      const { lastBackup, ...about } = running ? running.station.info() : localInfo(dataDir);
      // Flat, for one line per field: when, and which file.
      const backup = lastBackup
        ? { lastBackup: lastBackup.createdAt, lastBackupFile: lastBackup.file }
        : { lastBackup: 'never' };
      const info = { ...about, ...backup };
      out.record(
        info,
        Object.entries(info)
          .map(([k, v]) => `${k.padEnd(16)} ${String(v)}`)
          .join('\n'),
      );
    });
}

function localInfo(dataDir: string) {
  const db = openStationDatabase(dataDir);
  try {
    return stationInfo(db, { dataDir, appVersion, mode: 'cli' });
  } finally {
    db.close();
  }
}
