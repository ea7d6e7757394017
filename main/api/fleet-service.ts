// The contract's fleet methods (#23) on a running station: how its background sync stands, and a
// sync now. The worker keeps what the fleet said at the last round, so a window asking often costs
// the fleet nothing.
import type { FleetWorker } from '../station/fleet/fleet-worker';
import type { ContractService } from './service';

type FleetMethods = 'fleet:status' | 'fleet:sync';

export function fleetService(fleet: FleetWorker): Pick<ContractService, FleetMethods> {
  return {
    'fleet:status': () => fleet.status(),
    'fleet:sync': () => fleet.syncNow(),
  };
}
