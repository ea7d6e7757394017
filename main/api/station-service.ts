// The contract's methods implemented on a Station and its bench. Transport-agnostic: the Electron
// binder, the browser-mode server and the CLI all call through here.
import type { Bench } from '../station/bench';
import type { Station } from '../station/station';
import type { ContractService } from './service';

export function createStationService(station: Station, bench: Bench): ContractService {
  const actor = (caller: { transport: string; session: string }) => `${caller.transport}:${caller.session.slice(0, 8)}`;
  return {
    'station:info': () => station.info(),
    'station:unlock': ({ passphrase }, caller) => bench.unlock(passphrase, actor(caller)),
    'ca:status': () => bench.caStatus(),
    'ca:init': ({ passphrase, keyAlgorithm, subject }) => bench.initCa(passphrase, { ...(keyAlgorithm ? { keyAlgorithm } : {}), ...(subject ? { subject } : {}) }),
    'profile:list': () => station.profiles.list(),
    'device-type:list': () => station.deviceTypes.list(),
    'device:list': () => bench.view(),
    'batch:start': (request, caller) => bench.start({ ...request, actor: actor(caller) }),
    'batch:pause': () => bench.pause(),
    'batch:resume': () => bench.resume(),
    'batch:cancel': () => bench.cancel(),
    'batch:retry': ({ ports }) => bench.retry(ports),
  };
}
