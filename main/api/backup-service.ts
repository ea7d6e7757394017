// The contract's backup methods (#22) on a running station: the schedule a supervisor sets in the
// window, and a backup taken now. Without a schedule object (a CLI run), one is made on the spot.
import type { BackupSchedule } from '../station/backup-schedule';
import type { Caller, ContractService } from './service';

type BackupMethods = 'backup:status' | 'backup:schedule' | 'backup:now';

export function backupService(
  backups: BackupSchedule,
  actor: (caller: Caller) => string,
): Pick<ContractService, BackupMethods> {
  return {
    'backup:status': () => backups.status(),
    'backup:schedule': ({ plan }, caller) => backups.save(plan, actor(caller)),
    'backup:now': (_request, caller) => backups.takeNow(actor(caller)),
  };
}
