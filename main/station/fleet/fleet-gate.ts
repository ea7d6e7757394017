// The fleet's one rule at issuance (#23): one device ID, one station holding its certificate. Before
// a station asks for a certificate it claims the ID in the fleet; an ID another station holds is
// refused with the holder named. The station is offline-first: when the fleet cannot be reached it
// goes on under its own rules (the claim is made at the next sync, where a clash becomes a reported
// conflict) and does not ask again for a while, so a fleet that is down costs one timeout, not one
// per device.
import crypto from 'node:crypto';
import type pg from 'pg';
import { EnrollerError } from '../../../shared/errors';
import { csrPublicKey } from '../../pki/public-key-of';
import { connectFleet, fleetAway, fleetError, readPassword, type FleetLink } from './fleet-link';

/** How long the fleet counts as away after it could not be reached. */
const AWAY_FOR_MS = 30_000;

export type ClaimAnswer = 'claimed' | 'offline';

export interface FleetGate {
  /** Claims `deviceId` for the key in `csrDer`; throws FLEET_DEVICE_CLAIMED when another station holds it. */
  claim(deviceId: string, csrDer: Uint8Array): Promise<ClaimAnswer>;
  close(): Promise<void>;
}

export class FleetClaims implements FleetGate {
  readonly #link: FleetLink;
  readonly #dataDir: string;
  #client: Promise<pg.Client> | undefined;
  #awayUntil = 0;
  /** Claims run one at a time on the one connection (pg queues them anyway; this keeps errors apart). */
  #turn: Promise<unknown> = Promise.resolve();

  constructor(link: FleetLink, dataDir: string) {
    this.#link = link;
    this.#dataDir = dataDir;
  }

  claim(deviceId: string, csrDer: Uint8Array): Promise<ClaimAnswer> {
    const mine = this.#turn.then(() => this.#claim(deviceId, csrDer));
    this.#turn = mine.catch(() => undefined);
    return mine;
  }

  async close(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    await client?.then((c) => c.end()).catch(() => {});
  }

  async #claim(deviceId: string, csrDer: Uint8Array): Promise<ClaimAnswer> {
    if (Date.now() < this.#awayUntil) return 'offline';
    const key = crypto.createHash('sha256').update(csrPublicKey(csrDer)).digest('hex');
    try {
      const client = await this.#connected();
      const holder = await claimOrHolder(client, deviceId, key);
      if (holder) throw claimedElsewhere(deviceId, holder);
      return 'claimed';
    } catch (caught) {
      const error = fleetError(caught);
      if (!fleetAway(error)) throw error;
      // The connection is of no more use; the next claim after the pause connects afresh.
      void this.close();
      this.#awayUntil = Date.now() + AWAY_FOR_MS;
      return 'offline';
    }
  }

  #connected(): Promise<pg.Client> {
    this.#client ??= connectFleet(this.#link, readPassword(this.#dataDir));
    this.#client.catch(() => (this.#client = undefined));
    return this.#client;
  }
}

interface Holder {
  readonly station: string;
  readonly claimedAt: string;
}

/** Takes the claim, or keeps this station's own; returns the other station that holds it, if one does. */
async function claimOrHolder(client: pg.Client, deviceId: string, key: string): Promise<Holder | undefined> {
  const taken = await client.query(
    `INSERT INTO fleet.device_claims (device_id, station, key_sha256) VALUES ($1, current_user, $2)
     ON CONFLICT (device_id) DO NOTHING RETURNING station`,
    [deviceId, key],
  );
  if (taken.rowCount) return undefined;
  const held = await client.query<{ station: string; mine: boolean; claimed_at: Date }>(
    'SELECT station, station = current_user AS mine, claimed_at FROM fleet.device_claims WHERE device_id = $1',
    [deviceId],
  );
  const row = held.rows[0];
  if (!row) return claimOrHolder(client, deviceId, key); // released in between: try again
  if (!row.mine) return { station: row.station, claimedAt: row.claimed_at.toISOString() };
  // This station's own claim: a re-enrolment here (its own rules decided it may), now with this key.
  await client.query('UPDATE fleet.device_claims SET key_sha256 = $2, claimed_at = now() WHERE device_id = $1', [
    deviceId,
    key,
  ]);
  return undefined;
}

function claimedElsewhere(deviceId: string, holder: Holder): EnrollerError {
  return new EnrollerError(
    'FLEET_DEVICE_CLAIMED',
    `${deviceId} already holds a certificate from station ${holder.station} (claimed ${holder.claimedAt}). One ` +
      'device ID has one active certificate across the fleet: nothing was issued here. Set the device aside for a ' +
      'PKI engineer.',
    { deviceId, holder: holder.station, claimedAt: holder.claimedAt },
  );
}
