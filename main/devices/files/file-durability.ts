// When a written file is made durable. One at a time (`fsyncEach`): each file is fsynced before
// its rename. In a group (`DeferredFileSync`, bulk enrollment, #18): files are renamed into place
// unsynced and the whole group is flushed at once — on Linux one syncfs (`sync -f`) for the
// folder's filesystem, elsewhere each file and its folder — before any of them is reported.
import fsp from 'node:fs/promises';
import path from 'node:path';
import { FolderSyncer } from './folder-syncer';

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

  #running: Promise<void> | undefined;
  #next: Promise<void> | undefined;
  /** One syncfs helper per folder, kept for the run (folder-syncer.ts); undefined once closed. */
  #syncers: Map<string, FolderSyncer> | undefined = new Map();

  /** Ends the syncfs helpers; a flush after it fsyncs file by file and starts none. */
  close(): void {
    for (const syncer of this.#syncers?.values() ?? []) syncer.close();
    this.#syncers = undefined;
  }

  /**
   * Makes every file written before the call durable, with the folders that name them. One sync runs
   * at a time; calls made while it runs share the one that follows it (which covers their files).
   */
  flush(): Promise<void> {
    if (this.#next) return this.#next;
    if (!this.#running) {
      this.#running = this.#syncNow().finally(() => (this.#running = undefined));
      return this.#running;
    }
    const after = () => {
      this.#next = undefined;
      return this.flush();
    };
    this.#next = this.#running.then(after, after);
    return this.#next;
  }

  async #syncNow(): Promise<void> {
    if (this.#files.size === 0) return;
    const files = this.#files;
    this.#files = new Set();
    const folders = new Set([...files].map((file) => path.dirname(file)));
    // A syncfs syncs the whole filesystem: worth it for many files, not for a few.
    if (process.platform === 'linux' && files.size >= SYNCFS_FROM && (await this.#syncFilesystems(folders))) return;
    await Promise.all([...files].map(fsyncPath));
    await Promise.all([...folders].map(fsyncPath));
  }

  /** One syncfs per folder (they usually share one filesystem): true when every call succeeded. */
  async #syncFilesystems(folders: Set<string>): Promise<boolean> {
    const syncers = this.#syncers;
    if (!syncers) return false;
    for (const folder of folders) {
      let syncer = syncers.get(folder);
      if (!syncer) syncers.set(folder, (syncer = new FolderSyncer(folder)));
      if (!(await syncer.sync())) return false;
    }
    return true;
  }
}

/** From how many files one `sync -f` beats a fsync each (on the thread pool). */
const SYNCFS_FROM = 64;

async function fsyncPath(file: string): Promise<void> {
  const handle = await fsp.open(file, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
