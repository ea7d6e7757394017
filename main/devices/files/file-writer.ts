// Certificate files written on a worker thread, for a bulk run (#18). Creating a file is the
// kernel's work — finding a free inode, under the folder's lock — and on a busy ext4 it costs a
// few hundred microseconds a file, twice a certificate; on the main thread that time is lost to
// everything else. Here one worker creates them (one, because creations in one folder take turns
// on its lock anyway), each atomically: written under a temporary name, renamed into place. Not
// synced: the run's group commit makes them durable together (file-durability.ts).
import { ownBytes, WorkerBatches } from '../../worker-batches';
import { temporaryName } from './csr-files';

export interface FileToWrite {
  readonly file: string;
  readonly data: Uint8Array;
}

type Failure = { readonly code?: string; readonly message: string } | null;

const ANSWER = `
const fs = require('node:fs');
function answer({ file, data, temp }) {
  try {
    fs.writeFileSync(temp, data, { mode: 0o644 });
    fs.renameSync(temp, file);
    return null;
  } catch (error) {
    return { code: error.code, message: error.message };
  }
}
`;

export class FileWriter {
  readonly #workers = new WorkerBatches<FileToWrite & { temp: string }, Failure>(ANSWER);

  /** Resolves once the files are in place (not yet synced); rejects with the first file's error. */
  async write(files: readonly FileToWrite[]): Promise<void> {
    const failures = await Promise.all(
      files.map(({ file, data }) => this.#workers.run({ file, data: ownBytes(data), temp: temporaryName(file) })),
    );
    const failed = failures.find((f) => f !== null);
    if (failed) throw Object.assign(new Error(failed.message), { code: failed.code });
  }

  close(): Promise<void> {
    return this.#workers.close();
  }
}
