// The fleet's state in the words a technician reads at a glance (#23), and a station's yield.
import type { FleetStatus, StationYield } from '../../../shared/contract';

/** "in sync · last 3 min ago", "away — working on its own; next try 14:05", "failed — CODE: …". */
export function fleetWords(status: FleetStatus, now = Date.now()): string {
  if (!status.joined) return 'not in a fleet';
  const last = status.lastSyncAt ? `last sync ${ago(status.lastSyncAt, now)}` : 'not synced yet';
  const next = status.nextAttemptAt ? new Date(status.nextAttemptAt).toLocaleTimeString() : 'soon';
  switch (status.state) {
    case 'synced':
      return `in sync · ${last}`;
    case 'syncing':
      return `syncing… · ${last}`;
    case 'away':
      return `fleet out of reach — this station works on by itself and syncs later; next try ${next} · ${last}`;
    case 'failed':
      return `sync failed — ${status.code ?? 'INTERNAL'}: ${status.message ?? ''} · ${last}`;
    default:
      return `first sync ${next}`;
  }
}

export const FLEET_STATE_COLOR: Record<FleetStatus['state'], string> = {
  idle: 'gray',
  syncing: 'blue',
  synced: 'teal',
  away: 'orange',
  failed: 'red',
};

function ago(iso: string, now: number): string {
  const minutes = Math.floor((now - new Date(iso).getTime()) / 60_000);
  if (minutes < 1) return 'just now';
  if (minutes < 120) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  return hours < 48 ? `${hours} h ago` : `${Math.floor(hours / 24)} days ago`;
}

/** Devices done out of those that ended (done or failed), as a whole percentage; '—' before any ended. */
export function yieldPercent(row: StationYield): string {
  const ended = row.done + row.failed;
  return ended === 0 ? '—' : `${Math.round((100 * row.done) / ended)} %`;
}
