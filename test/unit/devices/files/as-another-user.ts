// Reading a file another user owns, for the readers that keep access times: Linux lets only a
// file's owner (or a process with CAP_FOWNER) read without updating it, so each must fall back for
// anyone else's file. Run as root (CI), the reading is done by a Node process that has given up
// CAP_FOWNER, on a file nobody owns; run as anyone else, directly, on a file of the system's (root's).
// (Not by switching to nobody: a fresh clone may sit in a folder only root can enter.)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * What `script` prints (a module that may import TypeScript by absolute path), given the path of a
 * file holding `content` that another user owns, as its `file`; undefined when not run as root.
 */
export function printedForAnotherUsersFile(content: string, script: (file: string) => string): string | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'other-user-'));
  try {
    const file = path.join(folder, 'nobodys.pem');
    fs.writeFileSync(file, content, { mode: 0o644 });
    fs.chownSync(file, 65534, 65534);
    // A module file, not `-e`: a worker the script starts inherits its Node flags.
    const module = path.join(folder, 'script.mts');
    fs.writeFileSync(module, script(file));
    const withoutFowner = ['--bounding-set', '-fowner'];
    const node = [process.execPath, '--import', 'tsx', module];
    return execFileSync('setpriv', [...withoutFowner, ...node], { encoding: 'utf8' });
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
}

/** A file root owns and anyone may read, for a test not run as root. */
export const SYSTEM_FILE = '/etc/os-release';
