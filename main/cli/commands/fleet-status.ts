// `enroller fleet status`: where this station stands with its fleet — joined as whom, what it still
// owes, whether the fleet answers now, conflicts it is part of, and each station's yield there.
import { Command } from 'commander';
import { describeError, type Output } from '../output';
import { readLink, withFleet, type FleetLink } from '../../station/fleet/fleet-link';
import { pendingCount } from '../../station/fleet/fleet-outbox';
import { fleetSeenBy } from '../../station/fleet/fleet-report';
import { whoAmI } from '../../station/fleet/fleet-sync';
import type { Station } from '../../station/station';
import { withStation } from '../with-station';

export function fleetStatus(): Command {
  return new Command('status')
    .description('this station in its fleet: joined, changes not yet sent, last sync, conflicts, yield per station')
    .action(async (_options: unknown, command: Command) => {
      await withStation(command, 'read', async (station, { out }) => {
        const link = readLink(station.db);
        if (!link) out.record({ joined: false }, 'Not in a fleet (enroller fleet join URL).');
        else await reportStatus(station, link, out);
      });
    });
}

/** What the fleet says about this station and the others. */
async function remoteStatus(station: Station, link: FleetLink) {
  return withFleet(station.db, station.dataDir, async (client) => {
    const me = await whoAmI(client);
    const { stations, conflicts } = await fleetSeenBy(client, me.name);
    const lastSyncAt = stations.find((s) => s.station === link.station)?.lastSyncAt ?? null;
    return { pending: pendingCount(station.db, me.cursor), lastSyncAt, auditSeq: me.auditSeq, conflicts, stations };
  });
}

async function reportStatus(station: Station, link: FleetLink, out: Output): Promise<void> {
  const local = { joined: true, station: link.station, url: link.url, joinedAt: link.joinedAt };
  const name = `Station ${link.station} in fleet ${link.url}`;
  try {
    const remote = await remoteStatus(station, link);
    const lines = [
      `${name}: reachable, ${remote.pending} changes to send, last sync ${remote.lastSyncAt ?? 'never'}.`,
      ...remote.conflicts.map((c) => `  conflict: ${c.deviceId} (${c.serial}, ${c.station}) is held by ${c.holder}`),
      ...remote.stations.map(
        (s) => `  ${s.station.padEnd(16)} done ${s.done}  failed ${s.failed}  waiting ${s.waiting}`,
      ),
    ];
    out.record({ ...local, reachable: true, ...remote }, lines.join('\n'));
  } catch (error) {
    const { code, message } = describeError(error);
    const pending = pendingCount(station.db, 0);
    const words = `${name}: not reachable (${code}): ${message}\n  ${pending} changes wait in the outbox.`;
    out.record({ ...local, reachable: false, code, message, pending }, words);
  }
}
