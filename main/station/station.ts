// The station: one data folder, one database, one log. Later layers (devices, enrollers,
// the pipeline) hang off this object; entry points create exactly one per process.
import { LabelDesk } from '../labels/label-desk';
import type { StationInfo } from '../../shared/contract';
import { AuditLog } from '../store/audit-log';
import type { Db } from '../store/database';
import { openStationDatabase, stationInfo } from './station-info';
import { DeviceTypeStore } from '../store/device-type-store';
import { StationCa } from './certificate-authority';
import { StationProfiles } from './profiles';
import { StationAccess } from './access';
import { Approvals } from './approvals/approvals';
import { CredentialPool } from './bundles/credential-pool';
import { forSource, type Logger } from '../log';
import { readLink } from './fleet/fleet-link';
import { FleetClaims, type FleetGate } from './fleet/fleet-gate';

export type StationMode = StationInfo['mode'];

export interface StationOptions {
  readonly dataDir: string;
  readonly appVersion: string;
  readonly mode: StationMode;
  readonly log: Logger;
}

export class Station {
  readonly dataDir: string;
  readonly db: Db;
  readonly log: Logger;
  readonly audit: AuditLog;
  readonly ca: StationCa;
  readonly deviceTypes: DeviceTypeStore;
  readonly profiles: StationProfiles;
  readonly access: StationAccess;
  readonly approvals: Approvals;
  readonly credentials: CredentialPool;
  readonly labels: LabelDesk;
  readonly #appVersion: string;
  readonly #mode: StationMode;
  #fleet: FleetClaims | undefined;

  private constructor(options: StationOptions, db: Db) {
    this.dataDir = options.dataDir;
    this.db = db;
    this.log = forSource(options.log, 'station');
    this.audit = new AuditLog(db);
    this.ca = new StationCa(db, this.audit);
    this.deviceTypes = new DeviceTypeStore(db);
    this.profiles = new StationProfiles(db, this.ca, this.audit);
    this.access = new StationAccess(db, this.audit);
    this.approvals = new Approvals(db, this.audit);
    this.credentials = new CredentialPool(db, this.audit);
    this.labels = new LabelDesk(db, this.audit);
    this.#appVersion = options.appVersion;
    this.#mode = options.mode;
  }

  static open(options: StationOptions): Station {
    // A station that keeps running (the app, browser mode) checks its database first; a CLI command
    // does not pay for a scan on every start, and meets damage as the same coded error when it reads it.
    const check = options.mode === 'cli' ? {} : { check: 'quick' as const };
    return new Station(options, openStationDatabase(options.dataDir, check));
  }

  info(): StationInfo {
    return stationInfo(this.db, { dataDir: this.dataDir, appVersion: this.#appVersion, mode: this.#mode });
  }

  /**
   * The fleet's claim on each device ID before it is issued, when this station joined a fleet (#23).
   * Looked up again until it has joined: a `fleet join` attached to a running station takes effect
   * at its next batch, without a restart.
   */
  get fleet(): FleetGate | undefined {
    if (!this.#fleet) {
      const link = readLink(this.db);
      if (link) this.#fleet = new FleetClaims(link, this.dataDir);
    }
    return this.#fleet;
  }

  close(): void {
    void this.#fleet?.close();
    if (this.db.open) this.db.close();
  }
}
