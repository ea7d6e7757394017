// The contract's methods implemented on a Station and its bench. Transport-agnostic: the Electron
// binder, the browser-mode server and the CLI all call through here.
import os from 'node:os';
import type { Bench } from '../station/bench';
import type { Station } from '../station/station';
import type { AuditRow, QueueEntry } from '../../shared/contract';
import { verifyAuditChain } from '../store/audit-log';
import { syncQueue } from '../station/sync/queue-sync';
import type { SyncWorker } from '../station/sync/sync-worker';
import { PassphraseKeychain } from '../station/keychain';
import { EnrollerError } from '../../shared/errors';
import { DEFAULT_LABEL, SAMPLE_LABEL } from '../labels/label-desk';
import { formatExport, provisionedDevices, type ExportFormat } from '../station/exports';

/** What each export is as a file. */
const EXPORT_FILES: Record<ExportFormat, [extension: string, mediaType: string]> = {
  nrfcloud: ['csv', 'text/csv'],
  'azure-dps': ['json', 'application/json'],
  aws: ['jsonl', 'application/jsonl'],
  report: ['jsonl', 'application/jsonl'],
};
import { QueueStore, type QueueItem } from '../store/queue-store';
import { deviceService } from './device-service';
import { backupService } from './backup-service';
import { BackupSchedule } from '../station/backup-schedule';
import { FleetWorker } from '../station/fleet/fleet-worker';
import { fleetService } from './fleet-service';
import type { Guard } from './dispatch';
import type { Caller, ContractService } from './service';

/** One key per window / socket / CLI run. */
export const sessionKey = (caller: Caller) => `${caller.transport}:${caller.session}`;

/** Roles, checked by the dispatcher before every handler. */
export function stationGuard(station: Station): Guard {
  return {
    authorize: (access, caller, method) => station.access.authorize(access, sessionKey(caller), `call ${method}`),
  };
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

// The contract's methods, one row each: a table reads better whole than cut into pieces.
// eslint-disable-next-line max-lines-per-function
export function createStationService(
  station: Station,
  bench: Bench,
  options: { sync?: SyncWorker; keychain?: PassphraseKeychain; backups?: BackupSchedule; fleet?: FleetWorker } = {},
): ContractService {
  const keychain = options.keychain ?? new PassphraseKeychain(station.dataDir, null);
  const backups =
    options.backups ?? new BackupSchedule(station, { passphrase: () => bench.sessionPassphrase(), log: station.log });
  const fleet = options.fleet ?? new FleetWorker(station, { log: station.log, onChange: () => {} });
  const passphrase = (why: string) => {
    const value = bench.sessionPassphrase();
    if (value === undefined)
      throw new EnrollerError(
        'CA_PASSPHRASE_REQUIRED',
        `Unlock the station first: ${why} needs the station passphrase.`,
      );
    return value;
  };
  // Who did it, as a person reads it: the one signed in, else which window or command line.
  const actor = (caller: Caller) =>
    station.access.actorOf(
      sessionKey(caller),
      caller.transport === 'cli' ? `CLI on ${os.hostname()}` : `station window ${caller.session.slice(0, 4)}`,
    );
  return {
    ...deviceService(station, actor),
    ...backupService(backups, actor),
    ...fleetService(fleet),
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
    'ca:init': ({ passphrase, keyAlgorithm, subject }) =>
      bench.initCa(passphrase, { ...(keyAlgorithm ? { keyAlgorithm } : {}), ...(subject ? { subject } : {}) }),
    'profile:list': () => station.profiles.list(),
    'device-type:list': () => station.deviceTypes.list(),
    'device:list': () => bench.view(),
    'batch:start': (request, caller) => bench.start({ ...request, actor: actor(caller) }),
    'batch:pause': () => bench.pause(),
    'batch:resume': () => bench.resume(),
    'batch:cancel': () => bench.cancel(),
    'batch:retry': ({ ports }) => bench.retry(ports),
    'batch:clear': () => bench.clear(),
    'device:label': ({ port, imei, serial, petName, clear }) => bench.label(port, { imei, serial, petName, clear }),
    'queue:list': () => queueEntries(station),
    'audit:list': ({ search, limit }) => {
      const needle = `%${(search ?? '').replace(/[%_\\]/g, (c) => `\\${c}`)}%`;
      return station.db
        .prepare<[string, string, string, string, number], AuditRow>(
          // Details too: a pet name, an IMEI or a serial number finds the rows about that device.
          "SELECT seq, at, actor, action, subject, details FROM audit_log WHERE action LIKE ? ESCAPE '\\' OR subject " +
            "LIKE ? ESCAPE '\\' OR actor LIKE ? ESCAPE '\\' OR details LIKE ? ESCAPE '\\' ORDER BY seq DESC LIMIT ?",
        )
        .all(needle, needle, needle, needle, limit ?? 200);
    },
    'export:batch': ({ format, batchId, tags, subType }, caller) => {
      const devices = provisionedDevices(station.db, batchId);
      const text = formatExport(format, devices, { ...(tags ? { tags } : {}), ...(subType ? { subType } : {}) });
      const details = { format, devices: devices.length, file: 'download' };
      station.audit.append('batch.exported', batchId ?? 'all', details, actor(caller));
      const [extension, mediaType] = EXPORT_FILES[format];
      return { fileName: `${batchId ?? 'all'}-${format}.${extension}`, mediaType, text, devices: devices.length };
    },
    'printer:get': () => ({ printer: station.labels.printer ?? null }),
    'printer:set': ({ printer }, caller) => {
      station.labels.setPrinter(printer ?? undefined, actor(caller));
      return { printer: station.labels.printer ?? null };
    },
    'label:preview': ({ deviceType, deviceId }) => {
      const type = station.deviceTypes.get(deviceType);
      const values = deviceId ? station.labels.valuesFor(deviceId) : SAMPLE_LABEL;
      return station.labels.preview(type.label ?? DEFAULT_LABEL, values);
    },
    'label:print': async ({ deviceType, deviceId }, caller) => {
      const type = station.deviceTypes.get(deviceType);
      const values = deviceId ? station.labels.valuesFor(deviceId) : SAMPLE_LABEL;
      const printed = await station.labels.printFor(type, values, actor(caller), { strict: true });
      return { printed: printed === 'printed' };
    },
    'audit:verify': () => {
      const verdict = verifyAuditChain(station.db);
      return verdict.ok
        ? { ok: true, rows: verdict.rows, head: `${verdict.head.seq}:${verdict.head.hash}` }
        : { ok: false, rows: verdict.rows, seq: verdict.seq, problem: verdict.problem, message: verdict.message };
    },
    'ca:export': () => ({ pem: station.ca.chainPem() }),
    'ca:verification-cert': async ({ code, ca }, caller) => {
      const certificate = await station.ca.verificationCertificate(
        code,
        passphrase('a verification certificate'),
        ca ?? 'root',
      );
      station.audit.append(
        'ca.verification-cert',
        code,
        { ca: ca ?? 'root', serial: certificate.serialNumber },
        actor(caller),
      );
      return {
        pem: certificate.toString('pem') + '\n',
        serial: certificate.serialNumber,
        subject: certificate.subject,
      };
    },
    'device-type:save': ({ document }, caller) => {
      const stored = station.deviceTypes.put(document);
      station.audit.append(
        'device-type.saved',
        stored.name,
        { device: stored.device, profile: stored.profile },
        actor(caller),
      );
      return stored;
    },
    'profile:save': async ({ name, settings, secrets, replace }, caller) => {
      const given = Object.fromEntries(Object.entries(secrets ?? {}).filter(([, v]) => v !== undefined && v !== ''));
      const saved = await station.profiles.add(name, settings, given, {
        ...(Object.keys(given).length > 0 ? { passphrase: passphrase('sealing profile secrets') } : {}),
        replace: replace ?? false,
        keepSecrets: true,
        actor: actor(caller),
      });
      bench.profileChanged(name);
      return saved;
    },
    'profile:test': async ({ name }) => {
      const sealed = station.profiles.get(name).secrets.length > 0;
      return station.profiles.test(name, sealed ? passphrase('opening the profile secrets') : undefined);
    },
    'keychain:status': () => keychain.status(),
    'keychain:remember': async (_request, caller) => {
      const status = await keychain.remember(passphrase('remembering the passphrase'));
      station.audit.append('keychain.remembered', 'station', { backend: status.backend ?? 'none' }, actor(caller));
      return status;
    },
    'keychain:forget': async (_request, caller) => {
      const status = await keychain.forget();
      station.audit.append('keychain.forgotten', 'station', {}, actor(caller));
      return status;
    },
    'keychain:unlock': async (_request, caller) => bench.unlock(await keychain.recall(), actor(caller)),
    'queue:sync': async () => {
      await (options.sync
        ? options.sync.syncNow()
        : syncQueue(station, { passphrase: bench.sessionPassphrase(), actor: 'ui' }));
      return queueEntries(station);
    },
  };
}
