// The contract's methods implemented on a Station and its bench. Transport-agnostic: the Electron
// binder, the browser-mode server and the CLI all call through here.
import type { Bench } from '../station/bench';
import type { Station } from '../station/station';
import type { AuditRow, QueueEntry } from '../../shared/contract';
import { verifyAuditChain } from '../store/audit-log';
import { syncQueue } from '../station/sync/queue-sync';
import type { SyncWorker } from '../station/sync/sync-worker';
import { QueueStore, type QueueItem } from '../store/queue-store';
import type { Guard } from './dispatch';
import type { Caller, ContractService } from './service';

/** One key per window / socket / CLI run. */
export const sessionKey = (caller: Caller) => `${caller.transport}:${caller.session}`;

/** Roles, checked by the dispatcher before every handler. */
export function stationGuard(station: Station): Guard {
  return { authorize: (access, caller, method) => station.access.authorize(access, sessionKey(caller), `call ${method}`) };
}

const toEntry = (item: QueueItem): QueueEntry => ({
  id: item.id,
  kind: item.kind,
  deviceId: item.deviceId,
  profile: item.profile,
  status: item.status,
  attempts: item.attempts,
  nextAttemptAt: item.nextAttemptAt,
  ...(item.certSerial ? { certSerial: item.certSerial } : {}),
  ...(item.lastCode ? { code: item.lastCode } : {}),
  ...(item.lastMessage ? { message: item.lastMessage } : {}),
});

export function queueEntries(station: Station): QueueEntry[] {
  return new QueueStore(station.db).list().map(toEntry);
}

export function createStationService(station: Station, bench: Bench, options: { sync?: SyncWorker } = {}): ContractService {
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
    'device:label': ({ port, imei, petName, clear }) => bench.label(port, { imei, petName, clear }),
    'queue:list': () => queueEntries(station),
    'audit:list': ({ search, limit }) => {
      const needle = `%${(search ?? '').replace(/[%_\\]/g, (c) => `\\${c}`)}%`;
      return station.db
        .prepare<[string, string, string, number], AuditRow>(
          "SELECT seq, at, actor, action, subject, details FROM audit_log WHERE action LIKE ? ESCAPE '\\' OR subject LIKE ? ESCAPE '\\' OR actor LIKE ? ESCAPE '\\' ORDER BY seq DESC LIMIT ?",
        )
        .all(needle, needle, needle, limit ?? 200);
    },
    'audit:verify': () => {
      const verdict = verifyAuditChain(station.db);
      return verdict.ok ? { ok: true, rows: verdict.rows, head: `${verdict.head.seq}:${verdict.head.hash}` } : { ok: false, rows: verdict.rows, seq: verdict.seq, problem: verdict.problem, message: verdict.message };
    },
    'queue:sync': async () => {
      await (options.sync ? options.sync.syncNow() : syncQueue(station, { passphrase: bench.sessionPassphrase(), actor: 'ui' }));
      return queueEntries(station);
    },
  };
}
