// A SoftHSM2 token of its own for a test (Debian `softhsm2`), in a temporary folder: SOFTHSM2_CONF
// points there for this process and the CLI processes it starts (PEERS.md §7).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from './station';

export const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';

export function softhsmToken(label: string, pin: string): { dir: string; pinFile: string; uri: string } {
  const dir = process.env.SOFTHSM2_CONF ? path.dirname(process.env.SOFTHSM2_CONF) : tempDir('enroller-softhsm-');
  if (!process.env.SOFTHSM2_CONF) {
    fs.mkdirSync(path.join(dir, 'tokens'));
    fs.writeFileSync(
      path.join(dir, 'softhsm2.conf'),
      `directories.tokendir = ${dir}/tokens\nobjectstore.backend = file\n`,
    );
    process.env.SOFTHSM2_CONF = path.join(dir, 'softhsm2.conf');
  }
  execFileSync('softhsm2-util', ['--init-token', '--free', '--label', label, '--so-pin', '87654321', '--pin', pin], {
    stdio: 'ignore',
  });
  const pinFile = path.join(dir, `${label}.pin`);
  fs.writeFileSync(pinFile, pin, { mode: 0o600 });
  return { dir, pinFile, uri: `pkcs11:token=${label}?module-path=${SOFTHSM_MODULE}` };
}

/** What pkcs11-tool (opensc) says about the token's private keys. */
export function privateKeysListed(label: string, pin: string): string {
  return execFileSync(
    'pkcs11-tool',
    [
      '--module',
      SOFTHSM_MODULE,
      '--token-label',
      label,
      '--login',
      '--pin',
      pin,
      '--list-objects',
      '--type',
      'privkey',
    ],
    { encoding: 'utf8' },
  );
}
