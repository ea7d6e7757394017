// Reading a file another user owns, for the readers that keep access times: Linux lets only a
// file's owner (or root) read without updating it, so each must fall back for anyone else's file.
// Run as root (CI), the reading is done by a Node process as nobody, on a file root owns; run as
// anyone else, directly, on a file of the system's (root's).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * What `script` prints as nobody (a module that may import TypeScript by absolute path), given the
 * path of a file root owns, holding `content`, as its `FILE`; undefined when not run as root.
 */
export function printedAsNobody(content: string, script: (file: string) => string): string | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const shared = fs.mkdtempSync(path.join(os.tmpdir(), 'other-user-'));
  try {
    fs.chmodSync(shared, 0o755);
    const file = path.join(shared, 'root-owned.pem');
    fs.writeFileSync(file, content, { mode: 0o644 });
    // A module file, not `-e`: a worker the script starts inherits its Node flags.
    const module = path.join(shared, 'script.mts');
    fs.writeFileSync(module, script(file), { mode: 0o644 });
    const nobody = ['--reuid=65534', '--regid=65534', '--clear-groups'];
    const node = [process.execPath, '--import', 'tsx', module];
    return execFileSync('setpriv', [...nobody, ...node], { encoding: 'utf8' });
  } finally {
    fs.rmSync(shared, { recursive: true, force: true });
  }
}

/** A file root owns and anyone may read, for a test not run as root. */
export const SYSTEM_FILE = '/etc/os-release';
