// A station with an initialised CA and an unlocked authority, on a real data folder.
import fs from 'node:fs';
import path from 'node:path';
import type { DeviceTypeDocument } from '../../shared/device-type';
import type { CaInitOptions } from '../../main/pki/authority/ca-init';
import type { LocalAuthority } from '../../main/pki/authority/local-authority';
import type { Station } from '../../main/station/station';
import { openTestStation, tempDir } from './station';

export const PASSPHRASE = 'correct horse battery staple';

export async function stationWithCa(
  options: CaInitOptions = {},
): Promise<{ station: Station; authority: LocalAuthority; nrf91: DeviceTypeDocument }> {
  const station = openTestStation();
  await station.ca.init({ passphrase: PASSPHRASE, ...options });
  const authority = await station.ca.unlock(PASSPHRASE);
  return { station, authority, nrf91: station.deviceTypes.get('nrf91-default') };
}

/** Writes PEM text to a temp file for OpenSSL. */
export function pemFile(name: string, pem: string, dir = tempDir('enroller-pem-')): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, pem);
  return file;
}
