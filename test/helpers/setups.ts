// The station set-ups many tests start from, written once: an EST profile on a test EST server,
// and an nRF91 device type with the client certificate and root in nRF Cloud's sec tag.
import fs from 'node:fs';
import path from 'node:path';
import { runEnroller } from './cli';
import { tempDir } from './station';

export const NRF_TAG = 16842753;

/** `profile add NAME --est URL --user U --password-file … --trust …` (secrets from files, sealed with `passFile`). */
export async function addEstProfile(
  dataDir: string,
  name: string,
  est: { readonly url: string; readonly tlsCaPem: string },
  credentials: { readonly user: string; readonly password: string; readonly passFile: string },
): Promise<{ code: number; lines: Array<Record<string, unknown>> }> {
  const dir = tempDir();
  const write = (file: string, text: string) => (fs.writeFileSync(path.join(dir, file), text), path.join(dir, file));
  return runEnroller(
    dataDir,
    'profile',
    'add',
    name,
    '--est',
    est.url,
    '--user',
    credentials.user,
    '--password-file',
    write('password', credentials.password),
    '--trust',
    write('trust.pem', est.tlsCaPem),
    '--passphrase-file',
    credentials.passFile,
  );
}

/** An nRF91 device type: ID nrf-{imei}, CN = device ID, P-256, client certificate and root in sec tag 16842753. */
export function nrf91Type(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name,
    device: 'nrf91',
    idTemplate: 'nrf-{imei}',
    subject: [{ attribute: 'CN', template: '{deviceId}', required: true }],
    keyPolicy: { allowed: ['ec-p256'] },
    certificate: { kind: 'operational', validityDays: 365 },
    secTags: { client: NRF_TAG, caCerts: [{ secTag: NRF_TAG, certificates: ['root'] }] },
    ...extra,
  };
}
