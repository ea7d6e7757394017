// The Debian/Ubuntu packages the test suite drives for real. A missing one fails the run at
// once with the exact install line — never a silent skip.
import { execFileSync } from 'node:child_process';

/** command → Debian package that provides it */
export const systemTools = {
  chromium: 'chromium',
  socat: 'socat',
  pki: 'strongswan-pki',
  scepserver: 'scep',
  ip: 'iproute2',
  openssl: 'openssl',
  zbarimg: 'zbar-tools',
  'softhsm2-util': 'softhsm2',
  'pkcs11-tool': 'opensc',
  'mkfs.ext4': 'e2fsprogs',
  e2fsck: 'e2fsprogs',
  losetup: 'mount',
  // The fleet tests' PostgreSQL (initdb, pg_ctl under /usr/lib/postgresql/*/bin); pg_ctlcluster is on PATH.
  pg_ctlcluster: 'postgresql',
  setpriv: 'util-linux',
};

export function missingTools() {
  return Object.entries(systemTools).filter(([command]) => {
    try {
      execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
}

export function installLine(missing) {
  const packages = [...new Set(missing.map(([, pkg]) => pkg))].join(' ');
  return `sudo apt-get update && sudo apt-get install -y --no-install-recommends ${packages}`;
}
