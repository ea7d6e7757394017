// Offline CSR files (Ability PKI's offline enrollment; DPCM writes `CSR.der`): read one in, DER or
// PEM, and write the certificate back out for the trip to the device, named by device ID.
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { EnrollerError } from '../../../shared/errors';
import { x509 } from '../../pki/crypto';
import { decodeCsrInput, DEFAULT_MAX_CSR_BYTES } from '../../pki/csr-intake';
import { fsyncEach, type FileDurability } from './file-durability';
import { certificatePublicKey, sameKey } from '../../pki/public-key-of';

/** Non-blocking, so a FIFO in the folder is refused (readCsrFile) instead of waiting for a writer. */
export const CSR_READ_FLAGS = fs.constants.O_RDONLY | fs.constants.O_NONBLOCK;
/** Linux's flag for a read that leaves the file's access time alone; 0 where there is none. */
export const NO_ATIME = fs.constants.O_NOATIME ?? 0;
/** The largest file read as a CSR: PEM's base64 and headers around the largest DER accepted. */
export const MAX_CSR_FILE_BYTES = DEFAULT_MAX_CSR_BYTES * 2;

/**
 * Opens a CSR file to read it without touching its access time. A file written since it was last
 * read (every CSR a line has just made) gets a new access time at its first read (relatime), on
 * ext4 an inode update through the journal, which a bulk run keeps busy creating files and syncing:
 * measured beside a process creating files, 8 µs a read with the update, 5 without (#18).
 * The flag is the owner's only (EPERM otherwise): a file of another user is read the usual way.
 */
function openToRead(file: string): number {
  try {
    return fs.openSync(file, CSR_READ_FLAGS | NO_ATIME);
  } catch (error) {
    if (NO_ATIME === 0 || (error as NodeJS.ErrnoException).code !== 'EPERM') throw error;
    return fs.openSync(file, CSR_READ_FLAGS);
  }
}

export function readCsrFile(file: string): Uint8Array {
  let fd: number;
  try {
    fd = openToRead(file);
  } catch (error) {
    throw cannotRead(file, error);
  }
  try {
    // The open file's own size, bounded before it is read: a CSR is a few hundred bytes, a wrong
    // file can be gigabytes. One stat of what is read, not a lookup of the name before it.
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw new EnrollerError('CSR_MALFORMED', `${file} is not a file.`);
    if (stat.size > MAX_CSR_FILE_BYTES)
      throw new EnrollerError(
        'CSR_TOO_LARGE',
        `${file} is ${stat.size} bytes; a CSR is at most ${DEFAULT_MAX_CSR_BYTES}.`,
      );
    const bytes = new Uint8Array(stat.size);
    let read = 0;
    while (read < bytes.length) {
      const n = readAt(file, fd, bytes, read);
      if (n === 0) break; // shorter than it was a moment ago: what is there is the request
      read += n;
    }
    return decodeCsrInput(bytes.subarray(0, read));
  } finally {
    fs.closeSync(fd);
  }
}

function readAt(file: string, fd: number, bytes: Uint8Array, offset: number): number {
  try {
    return fs.readSync(fd, bytes, offset, bytes.length - offset, offset);
  } catch (error) {
    throw cannotRead(file, error);
  }
}

function cannotRead(file: string, error: unknown): EnrollerError {
  const why = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
  return new EnrollerError('CSR_MALFORMED', `Cannot read ${file}: ${why}.`);
}

/** Certificate files as written: their paths, and the name they would have had when it was taken. */
export interface CertificateFiles {
  readonly pem: string;
  readonly der: string;
  /** Set when `<deviceId>.pem` already held a certificate for another key and was left alone. */
  readonly collidedWith?: string;
}

/**
 * Writes `<deviceId>.pem` (leaf, then its issuing chain) and `<deviceId>.der` (leaf) atomically.
 * A name already holding a certificate for another key (another CSR, or two IDs that make one
 * file name) is never overwritten: the files get the next free `~N` suffix, and that is reported.
 * A certificate file is a kilobyte: it is written with plain system calls, except the fsync of
 * one-at-a-time durability, which runs on Node's thread pool. Two writes that could pick the
 * same name take their turns.
 */
export function writeCertificateFiles(
  outDir: string,
  deviceId: string,
  leafDer: Uint8Array,
  leafPem: string,
  chainPem: string,
  durability: FileDurability = fsyncEach,
): Promise<CertificateFiles> {
  const stem = safeFileStem(deviceId);
  return oneAtATime(path.join(outDir, stem).toLowerCase(), async () => {
    fs.mkdirSync(outDir, { recursive: true });
    const leafKey = certificatePublicKey(leafDer);
    let files: CertificateFiles | undefined;
    for (let n = 1; !files; n++) {
      const candidate = certificateFileNames(outDir, stem, n);
      if (!holdsAnotherKey(candidate.pem, leafKey) && !holdsAnotherKey(candidate.der, leafKey)) {
        files = n === 1 ? candidate : { ...candidate, collidedWith: path.join(outDir, `${stem}.pem`) };
      }
    }
    await writeAtomically(files.pem, certificatePem(leafPem, chainPem), durability);
    await writeAtomically(files.der, leafDer, durability);
    return files;
  });
}

/** The files for a device ID's stem: `<stem>.pem` / `.der`, or with `~N` when the plain name is taken. */
export function certificateFileNames(outDir: string, stem: string, n = 1): { pem: string; der: string } {
  // One join for both names (a stem has no separator): a bulk run names two files per certificate.
  const base = path.join(outDir, `${stem}${n === 1 ? '' : `~${n}`}`);
  return { pem: `${base}.pem`, der: `${base}.der` };
}

/** The PEM file's text: the leaf, then its issuing chain. */
export function certificatePem(leafPem: string, chainPem: string): string {
  return `${leafPem.trim()}\n${chainAfterLeaf(chainPem)}`;
}

/** What follows the leaf's line in a certificate's PEM file: the issuing chain and a newline, or nothing. */
export function chainAfterLeaf(chainPem: string): string {
  const chain = chainPem.trim();
  return chain ? `${chain}\n` : '';
}

/** Work on one name, one at a time (names compared as a case-insensitive file system would). */
const turns = new Map<string, Promise<unknown>>();

async function oneAtATime<T>(name: string, work: () => Promise<T>): Promise<T> {
  const mine = (turns.get(name) ?? Promise.resolve()).then(work, work);
  const settled = mine.catch(() => undefined);
  turns.set(name, settled);
  try {
    return await mine;
  } finally {
    if (turns.get(name) === settled) turns.delete(name);
  }
}

const WINDOWS_RESERVED = /^(CON|PRN|AUX|NUL|COM[0-9\u00b9\u00b2\u00b3]|LPT[0-9\u00b9\u00b2\u00b3])(\.|$)/i;

/**
 * A device ID as a file name that is safe on Linux, macOS and Windows: only letters, digits, `.`,
 * `_` and `-`; no leading dot (hidden), no trailing dots or spaces (Windows drops them), never a
 * reserved device name (`CON`, `NUL`, `COM1`, …), never empty, at most 200 characters.
 */
export function safeFileStem(deviceId: string): string {
  const trimmed = deviceId.replace(/[. ]+$/, '');
  let stem = trimmed
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .replace(/^\./, '_')
    .slice(0, 200)
    .replace(/\.+$/, '');
  if (WINDOWS_RESERVED.test(stem)) stem = `_${stem}`;
  return stem || '_';
}

/** Does `file` exist and hold something other than a certificate for `key`? (Unreadable counts.) */
function holdsAnotherKey(file: string, key: Uint8Array): boolean {
  if (!fs.statSync(file, { throwIfNoEntry: false })) return false;
  try {
    const content = fs.readFileSync(file);
    const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(content.toString('latin1'))?.[0];
    const certificate = new x509.X509Certificate(pem ?? new Uint8Array(content));
    return !sameKey(certificatePublicKey(certificate.rawData), key);
  } catch {
    return true;
  }
}

/** Where a file is written before it is renamed into place: beside it, this process's own. */
export function temporaryName(file: string): string {
  return `${file}.${process.pid}.tmp`;
}

async function writeAtomically(file: string, data: string | Uint8Array, durability: FileDurability): Promise<void> {
  const temp = temporaryName(file);
  if (durability.syncEachFile) {
    const handle = await fsp.open(temp, 'w', 0o644);
    try {
      await handle.write(typeof data === 'string' ? Buffer.from(data) : data);
      await handle.sync();
    } finally {
      await handle.close();
    }
  } else {
    // Plain system calls: on the thread pool, writes to one folder only queue on its lock.
    fs.writeFileSync(temp, data, { mode: 0o644 });
  }
  fs.renameSync(temp, file);
  durability.written(file);
}
