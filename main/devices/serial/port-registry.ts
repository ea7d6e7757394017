// One owner per port. Paths are resolved through symlinks first, so /dev/serial/by-id/… and
// /dev/ttyACM0 (or a socat link and its /dev/pts/N) are recognised as the same port.
import fs from 'node:fs';
import { EnrollerError } from '../../../shared/errors';

export class PortRegistry {
  readonly #owners = new Map<string, string>();

  /** Claims a port for `owner`; returns the release function. */
  claim(portPath: string, owner: string): () => void {
    const key = canonicalPortPath(portPath);
    const holder = this.#owners.get(key);
    if (holder !== undefined) {
      throw new EnrollerError('DEVICE_PORT_BUSY', `${portPath} is already in use by ${holder}. One port, one owner.`, {
        port: portPath,
        owner: holder,
      });
    }
    this.#owners.set(key, owner);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#owners.delete(key);
    };
  }

  isClaimed(portPath: string): boolean {
    return this.#owners.has(canonicalPortPath(portPath));
  }
}

export function canonicalPortPath(portPath: string): string {
  try {
    return fs.realpathSync(portPath);
  } catch {
    return portPath; // COM3 on Windows, or a port that vanished: compare as given
  }
}
