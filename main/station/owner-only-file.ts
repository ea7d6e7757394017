// A small secret file in the data folder (the wrapped passphrase, the attach key): readable by the
// station's user alone from its first byte, and whole or absent — never half-written.
import fs from 'node:fs';

export function writeOwnerOnlyFile(file: string, data: string | Uint8Array): void {
  const staging = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(staging, data, { mode: 0o600 });
  fs.renameSync(staging, file);
}
