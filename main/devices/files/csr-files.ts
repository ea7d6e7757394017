// Offline CSR files (Ability PKI's offline enrollment; DPCM writes `CSR.der`): read one in, DER or
// PEM, and write the certificate back out for the trip to the device, named by device ID.
import fs from 'node:fs';
import path from 'node:path';
import { EnrollerError } from '../../../shared/errors';
import { decodeCsrInput, DEFAULT_MAX_CSR_BYTES } from '../../pki/csr-intake';

export function readCsrFile(file: string): Uint8Array {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (error) {
    throw new EnrollerError('CSR_MALFORMED', `Cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`);
  }
  // Bounded before it is read: a CSR is a few hundred bytes, a wrong file can be gigabytes.
  if (!stat.isFile()) throw new EnrollerError('CSR_MALFORMED', `${file} is not a file.`);
  if (stat.size > DEFAULT_MAX_CSR_BYTES * 2) throw new EnrollerError('CSR_TOO_LARGE', `${file} is ${stat.size} bytes; a CSR is at most ${DEFAULT_MAX_CSR_BYTES}.`);
  return decodeCsrInput(new Uint8Array(fs.readFileSync(file)));
}

/** Writes `<deviceId>.pem` (leaf, then its issuing chain) and `<deviceId>.der` (leaf) atomically. */
export function writeCertificateFiles(outDir: string, deviceId: string, leafDer: Uint8Array, leafPem: string, chainPem: string): { pem: string; der: string } {
  fs.mkdirSync(outDir, { recursive: true });
  const safe = deviceId.replace(/[^A-Za-z0-9._-]/g, '_');
  const files = { pem: path.join(outDir, `${safe}.pem`), der: path.join(outDir, `${safe}.der`) };
  writeAtomically(files.pem, `${leafPem.trim()}\n${chainPem.trim() ? `${chainPem.trim()}\n` : ''}`);
  writeAtomically(files.der, leafDer);
  return files;
}

function writeAtomically(file: string, data: string | Uint8Array): void {
  const temp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(temp, 'w', 0o644);
  try {
    fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(temp, file);
}
