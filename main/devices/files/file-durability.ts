// When a written file is made durable. One at a time (`fsyncEach`): each file is fsynced before
// its rename. In a group (`DeferredFileSync`, bulk enrollment, #18): files are renamed into place
// unsynced and the whole group is flushed at once — on Linux one syncfs (`sync -f`) for the
// folder's filesystem, elsewhere each file and its folder — before any of them is reported.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface FileDurability {
  /** Whether to fsync a file's data before it is renamed into place. */
  readonly syncEachFile: boolean;
  /** A file was renamed into place. */
  written(file: string): void;
}

export const fsyncEach: FileDurability = { syncEachFile: true, written: () => {} };

export class DeferredFileSync implements FileDurability {
  readonly syncEachFile = false;
  #files = new Set<string>();

  written(file: string): void {
    this.#files.add(file);
  }

  /** Makes every file written since the last flush durable, with the folders that name them. */
  flush(): void {
    if (this.#files.size === 0) return;
    const files = this.#files;
    this.#files = new Set();
    const folders = new Set([...files].map((file) => path.dirname(file)));
    if (process.platform === 'linux' && syncFilesystems(folders)) return;
    for (const file of files) fsyncPath(file);
    for (const folder of folders) fsyncPath(folder);
  }
}

/** One syncfs per folder (they usually share one filesystem): true when every call succeeded. */
function syncFilesystems(folders: Set<string>): boolean {
  for (const folder of folders) {
    const result = spawnSync('sync', ['-f', folder], { stdio: 'ignore' });
    if (result.status !== 0) return false;
  }
  return true;
}

function fsyncPath(file: string): void {
  const fd = fs.openSync(file, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
