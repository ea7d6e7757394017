// How old the newest backup is, in the words the station panel and the Backups card share.

/** "3 h ago (station-….backup)", or a nudge when there is none: a disk dies sooner or later. */
export function backupWords(backup: { file: string; createdAt: string } | null, now = Date.now()): string {
  if (!backup) return 'none yet — set a schedule in Settings → Backups, or run `enroller backup --out FILE`';
  const hours = Math.floor((now - new Date(backup.createdAt).getTime()) / 3_600_000);
  const age =
    hours < 1 ? 'less than an hour ago' : hours < 48 ? `${hours} h ago` : `${Math.floor(hours / 24)} days ago`;
  return `${age} (${backup.file})`;
}
