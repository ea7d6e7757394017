// Certificate files written on a worker thread, for a bulk run (#18). Creating a file is the
// kernel's work — finding a free inode, under the folder's lock — and on a busy ext4 it costs a
// few hundred microseconds a file, twice a certificate; on the main thread that time is lost to
// everything else. Here one worker creates them (one, because creations in one folder take turns
// on its lock anyway), each atomically: written under a temporary name, renamed into place, and
// read back under its name as anyone opening the folder will read it. Not synced: the run's group
// commit makes them durable together (file-durability.ts). The issuing chain that follows every
// certificate's PEM is handed to the worker once, not with each file.
import { EnrollerError } from '../../../shared/errors';
import { ownBytes, WorkerBatches } from '../../worker-batches';
import { chainAfterLeaf, temporaryName } from './csr-files';

export interface FileToWrite {
  readonly file: string;
  readonly data: Uint8Array;
  /** The data is a certificate's PEM (one block, ending in a newline), and the writer's chain follows it. */
  readonly chained?: boolean;
}

type Failure = { readonly code?: string; readonly message: string } | null;

/** The worker's word for a file that reads back otherwise than written (no system call's code). */
const READBACK_MISMATCH = 'READBACK_MISMATCH';

const ANSWER = `
const fs = require('node:fs');
const chain = Buffer.from(require('node:worker_threads').workerData);
function answer({ file, data, temp, chained }) {
  try {
    const bytes = chained ? Buffer.concat([data, chain]) : data;
    fs.writeFileSync(temp, bytes, { mode: 0o644 });
    fs.renameSync(temp, file);
    if (!fs.readFileSync(file).equals(bytes)) {
      return { code: '${READBACK_MISMATCH}', message: file + ' does not read back as written.' };
    }
    return null;
  } catch (error) {
    return { code: error.code, message: error.message };
  }
}
`;

export class FileWriter {
  readonly #workers;

  /** `chainPem`: the issuing chain, laid after each chained PEM as `certificatePem` lays it. */
  constructor(chainPem = '') {
    const chain = Buffer.from(chainAfterLeaf(chainPem));
    this.#workers = new WorkerBatches<FileToWrite & { temp: string }, Failure>(ANSWER, 1, chain);
  }

  /** Resolves once the files are in place and read back (not yet synced); rejects with the first file's error. */
  async write(files: readonly FileToWrite[]): Promise<void> {
    const failures = await Promise.all(
      files.map(({ file, data, chained }) =>
        this.#workers.run({ file, data: ownBytes(data), temp: temporaryName(file), chained: chained === true }),
      ),
    );
    const failed = failures.find((f) => f !== null);
    if (failed?.code === READBACK_MISMATCH) throw new EnrollerError('MODEM_READBACK_MISMATCH', failed.message);
    if (failed) throw Object.assign(new Error(failed.message), { code: failed.code });
  }

  close(): Promise<void> {
    return this.#workers.close();
  }
}
