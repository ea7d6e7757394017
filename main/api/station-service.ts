// The contract's methods implemented on a Station and its bench. Transport-agnostic: the Electron
// binder, the browser-mode server and the CLI all call through here.
import type { Bench } from '../station/bench';
import type { Station } from '../station/station';
import type { Guard } from './dispatch';
import type { Caller, ContractService } from './service';

/** One key per window / socket / CLI run. */
export const sessionKey = (caller: Caller) => `${caller.transport}:${caller.session}`;

/** Roles, checked by the dispatcher before every handler. */
export function stationGuard(station: Station): Guard {
  return { authorize: (access, caller, method) => station.access.authorize(access, sessionKey(caller), `call ${method}`) };
}

export function createStationService(station: Station, bench: Bench): ContractService {
  const actor = (caller: Caller) => station.access.actorOf(sessionKey(caller), `${caller.transport}:${caller.session.slice(0, 8)}`);
  return {
    'session:whoami': (_request, caller) => station.access.session(sessionKey(caller)),
    'session:login': ({ name, pin }, caller) => station.access.login(sessionKey(caller), pin, name),
    'session:logout': (_request, caller) => station.access.logout(sessionKey(caller)),
    'operator:add': ({ name, role, pin }, caller) => station.access.addOperator(name, role, pin, actor(caller)),
    'operator:list': () => station.access.operators(),
    'station:factoryMode': ({ locked }, caller) => {
      station.access.setFactoryMode(locked, actor(caller));
      return station.access.session(sessionKey(caller));
    },
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
