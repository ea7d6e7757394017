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

export function readCsrFile(file: string): Uint8Array {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (error) {
    throw new EnrollerError(
      'CSR_MALFORMED',
      `Cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`,
    );
  }
  // Bounded before it is read: a CSR is a few hundred bytes, a wrong file can be gigabytes.
  if (!stat.isFile()) throw new EnrollerError('CSR_MALFORMED', `${file} is not a file.`);
  if (stat.size > DEFAULT_MAX_CSR_BYTES * 2)
    throw new EnrollerError(
      'CSR_TOO_LARGE',
      `${file} is ${stat.size} bytes; a CSR is at most ${DEFAULT_MAX_CSR_BYTES}.`,
    );
  return decodeCsrInput(new Uint8Array(fs.readFileSync(file)));
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
 * The file work runs on Node's thread pool (a bulk run writes thousands while it signs); two
 * writes that could pick the same name take their turns.
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
    await fsp.mkdir(outDir, { recursive: true });
    const leafKey = certificatePublicKey(leafDer);
    let files: CertificateFiles | undefined;
    for (let n = 1; !files; n++) {
      const candidate = {
        pem: path.join(outDir, `${stem}${n === 1 ? '' : `~${n}`}.pem`),
        der: path.join(outDir, `${stem}${n === 1 ? '' : `~${n}`}.der`),
      };
      if (!(await holdsAnotherKey(candidate.pem, leafKey)) && !(await holdsAnotherKey(candidate.der, leafKey))) {
        files = n === 1 ? candidate : { ...candidate, collidedWith: path.join(outDir, `${stem}.pem`) };
      }
    }
    const pem = `${leafPem.trim()}\n${chainPem.trim() ? `${chainPem.trim()}\n` : ''}`;
    await writeAtomically(files.pem, pem, durability);
    await writeAtomically(files.der, leafDer, durability);
    return files;
  });
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

const WINDOWS_RESERVED = /^(CON|PRN|AUX|NUL|COM[0-9¹²³]|LPT[0-9¹²³])(\.|$)/i;

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
async function holdsAnotherKey(file: string, key: Uint8Array): Promise<boolean> {
  let content: Buffer;
  try {
    content = await fsp.readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  try {
    const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(content.toString('latin1'))?.[0];
    const certificate = new x509.X509Certificate(pem ?? new Uint8Array(content));
    return !sameKey(certificatePublicKey(certificate.rawData), key);
  } catch {
    return true;
  }
}

async function writeAtomically(file: string, data: string | Uint8Array, durability: FileDurability): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  const handle = await fsp.open(temp, 'w', 0o644);
  try {
    await handle.write(typeof data === 'string' ? Buffer.from(data) : data);
    if (durability.syncEachFile) await handle.sync();
  } finally {
    await handle.close();
  }
  await fsp.rename(temp, file);
  durability.written(file);
}
