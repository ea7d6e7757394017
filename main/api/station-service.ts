// The contract's methods implemented on a Station. Transport-agnostic: the Electron binder,
// the browser-mode server and the CLI all call through here.
import type { Station } from '../station/station';
import type { ContractService } from './service';

export function createStationService(station: Station): ContractService {
  return {
    'station:info': () => station.info(),
  };
}
