// Device types and profiles published to the fleet by a supervisor and pulled by every station
// (#23), so ten lines enroll with the same rules. A profile's secrets (an EST password, a SCEP
// challenge, a client key) never sit in the fleet in clear: they are opened with the publishing
// station's passphrase and sealed again with the fleet passphrase; a pulling station opens them
// with the fleet passphrase and seals them with its own. What a station pulls goes through the same
// validation as an import (`device-type import`, `profile add`).
import type { ClientBase } from 'pg';
import { EnrollerError, isEnrollerError } from '../../../shared/errors';
import type { ProfileSecrets } from '../../../shared/profile';
import { open, seal } from '../../pki/secret-box';
import type { Station } from '../station';

export interface PublishRequest {
  readonly deviceTypes: readonly string[];
  readonly profiles: readonly string[];
  /** Opens the profiles' secrets on this station. */
  readonly passphrase?: string | undefined;
  /** Seals them in the fleet. */
  readonly fleetPassphrase?: string | undefined;
}

export async function publishConfig(client: ClientBase, station: Station, request: PublishRequest) {
  const types = request.deviceTypes.map((name) => station.deviceTypes.get(name));
  const profiles = request.profiles.map((name) => publishedProfile(station, name, request));
  await client.query('BEGIN');
  try {
    for (const type of types)
      await client.query(
        `INSERT INTO fleet.device_types (name, document, station) VALUES ($1, $2, current_user)
         ON CONFLICT (name) DO UPDATE SET document = EXCLUDED.document, station = current_user, published_at = now()`,
        [type.name, JSON.stringify(type)],
      );
    for (const p of profiles)
      await client.query(
        `INSERT INTO fleet.profiles (name, settings, sealed_secrets, station) VALUES ($1, $2, $3, current_user)
         ON CONFLICT (name) DO UPDATE SET settings = EXCLUDED.settings, sealed_secrets = EXCLUDED.sealed_secrets,
           station = current_user, published_at = now()`,
        [p.name, JSON.stringify(p.settings), p.sealed],
      );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
  return { deviceTypes: types.map((t) => t.name), profiles: profiles.map((p) => p.name) };
}

/** A profile as the fleet keeps it: its settings, and its secrets sealed with the fleet passphrase. */
function publishedProfile(station: Station, name: string, request: PublishRequest) {
  const stored = station.profiles.get(name);
  if (stored.builtin)
    throw new EnrollerError('PROFILE_INVALID', `"${name}" is built into every station; there is nothing to publish.`);
  let sealed: string | null = null;
  if (stored.sealedSecrets) {
    if (!request.passphrase || !request.fleetPassphrase)
      throw new EnrollerError(
        'CA_PASSPHRASE_REQUIRED',
        `Profile ${name} has secrets: give --passphrase-file (to open them here) and --fleet-passphrase-file.`,
      );
    const secrets = open(stored.sealedSecrets, request.passphrase, `profile:${name}`);
    sealed = seal(secrets, request.fleetPassphrase, `fleet-profile:${name}`);
  }
  return { name, settings: stored.settings, sealed };
}

export interface Pulled {
  readonly deviceTypes: string[];
  readonly profiles: string[];
  /** Profiles with secrets not pulled for want of the passphrases (named, so nobody wonders). */
  readonly skipped: string[];
}

/** Every device type and profile the fleet holds, into this station (newer versions replace older). */
export async function pullConfig(
  client: ClientBase,
  station: Station,
  secrets: { passphrase?: string | undefined; fleetPassphrase?: string | undefined; actor: string },
): Promise<Pulled> {
  const types = await client.query<{ name: string; document: unknown }>(
    'SELECT name, document FROM fleet.device_types ORDER BY name',
  );
  const deviceTypes = types.rows.map((row) => station.deviceTypes.put(row.document).name);
  for (const name of deviceTypes) station.audit.append('device-type.pulled', name, { from: 'fleet' }, secrets.actor);
  const profiles = await client.query<{ name: string; settings: unknown; sealed_secrets: string | null }>(
    'SELECT name, settings, sealed_secrets FROM fleet.profiles ORDER BY name',
  );
  const pulled: string[] = [];
  const skipped: string[] = [];
  for (const row of profiles.rows) {
    if (row.sealed_secrets && (!secrets.passphrase || !secrets.fleetPassphrase)) {
      skipped.push(row.name);
      continue;
    }
    const opened = row.sealed_secrets ? openFleetSecrets(row.sealed_secrets, row.name, secrets.fleetPassphrase!) : {};
    const options = {
      replace: true,
      actor: secrets.actor,
      ...(secrets.passphrase ? { passphrase: secrets.passphrase } : {}),
    };
    await station.profiles.add(row.name, row.settings, opened, options);
    pulled.push(row.name);
  }
  return { deviceTypes, profiles: pulled, skipped };
}

function openFleetSecrets(sealed: string, name: string, fleetPassphrase: string): ProfileSecrets {
  try {
    return JSON.parse(open(sealed, fleetPassphrase, `fleet-profile:${name}`)) as ProfileSecrets;
  } catch (error) {
    if (isEnrollerError(error) && error.code === 'SECRET_WRONG_PASSPHRASE')
      throw new EnrollerError('FLEET_PASSPHRASE_WRONG', `The fleet passphrase does not open profile ${name}.`);
    throw error;
  }
}
