// CSR files read on a worker thread ahead of their turn, for a bulk run (#18). A CSR file a line
// made minutes ago may no longer be in the page cache, and reading it is then a wait for the disk
// (here: a few milliseconds now and then, 66 µs a file on average over 100,000 CSRs, 15 % of the
// main thread). The worker reads the files a run will take next while the main thread signs and
// records the ones before them; many files ride one message each way (worker-batches.ts).
// Only the plain case is read here: a regular file of a CSR's size, read whole. Anything else —
// a FIFO, a folder, a file too large, one that cannot be opened — is answered undefined, and the
// run reads it the one authoritative way (readCsrFile), which says why it cannot be enrolled.
import { WorkerBatches } from '../../worker-batches';
import { CSR_READ_FLAGS, MAX_CSR_FILE_BYTES, NO_ATIME } from './csr-files';

const ANSWER = `
const fs = require('node:fs');
const { flags, noAtime, maxBytes } = require('node:worker_threads').workerData;
function open(file) {
  try {
    return fs.openSync(file, flags | noAtime);
  } catch (error) {
    if (noAtime === 0 || error.code !== 'EPERM') throw error;
    return fs.openSync(file, flags);
  }
}
function answer(file) {
  let fd;
  try {
    fd = open(file);
    const stat = fs.fstatSync(fd);
    if (!stat.isFile() || stat.size > maxBytes) return null;
    const bytes = new Uint8Array(stat.size);
    let read = 0;
    while (read < bytes.length) {
      const n = fs.readSync(fd, bytes, read, bytes.length - read, read);
      if (n === 0) break; // shorter than it was a moment ago: what is there is the request
      read += n;
    }
    return bytes.subarray(0, read);
  } catch {
    return null;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
`;

export class CsrReadAhead {
  readonly #worker = new WorkerBatches<string, Uint8Array | null>(ANSWER, 1, {
    flags: CSR_READ_FLAGS,
    noAtime: NO_ATIME,
    maxBytes: MAX_CSR_FILE_BYTES,
  });

  /** The file's bytes, or undefined when it is to be read the usual way (readCsrFile). */
  async read(file: string): Promise<Uint8Array | undefined> {
    const bytes = await this.#worker.run(file).catch(() => null);
    return bytes ?? undefined;
  }

  close(): Promise<void> {
    return this.#worker.close();
  }
}
