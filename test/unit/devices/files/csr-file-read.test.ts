// Reading one CSR file (readCsrFile): the file's own size is checked on the open file before a byte
// is read, and anything that is not a readable regular file is refused with a code — including a
// FIFO, which must not hang the run waiting for a writer. Reading leaves the file's access time
// alone (no journal write per CSR), and a file of another user, which Linux will not read that
// way, is read all the same.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCsrFile } from '../../../../main/devices/files/csr-files';
import { accessTimeKept } from './access-time';
import { printedForAnotherUsersFile, SYSTEM_FILE } from './as-another-user';
import { DEFAULT_MAX_CSR_BYTES } from '../../../../main/pki/csr-intake';
import { makeCsr } from '../../../helpers/csr';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'csr-file-read-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function codeOf(read: () => unknown): string | undefined {
  try {
    read();
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
}

describe('reading a CSR file', () => {
  it('reads a DER request and a PEM one as the same bytes', async () => {
    const der = await makeCsr({ name: 'CN=read-1' });
    const base64 = Buffer.from(der).toString('base64');
    const pem = `-----BEGIN CERTIFICATE REQUEST-----\n${base64}\n-----END CERTIFICATE REQUEST-----\n`;
    fs.writeFileSync(path.join(dir, 'one.der'), der);
    fs.writeFileSync(path.join(dir, 'one.pem'), pem);
    expect(Buffer.from(readCsrFile(path.join(dir, 'one.der'))).equals(Buffer.from(der))).toBe(true);
    expect(Buffer.from(readCsrFile(path.join(dir, 'one.pem'))).equals(Buffer.from(der))).toBe(true);
  });

  it('refuses a missing file, a folder, an oversized file and a FIFO, each with its code', () => {
    fs.mkdirSync(path.join(dir, 'folder.der'));
    fs.writeFileSync(path.join(dir, 'huge.der'), Buffer.alloc(DEFAULT_MAX_CSR_BYTES * 2 + 1, 0x30));
    execFileSync('mkfifo', [path.join(dir, 'fifo.der')]);
    expect(codeOf(() => readCsrFile(path.join(dir, 'missing.der')))).toBe('CSR_MALFORMED');
    expect(codeOf(() => readCsrFile(path.join(dir, 'folder.der')))).toBe('CSR_MALFORMED');
    expect(codeOf(() => readCsrFile(path.join(dir, 'huge.der')))).toBe('CSR_TOO_LARGE');
    // Opened blocking, this would wait for a writer for ever (the test would time out).
    expect(codeOf(() => readCsrFile(path.join(dir, 'fifo.der')))).toBe('CSR_MALFORMED');
  });

  it('refuses a file it may not read with CSR_MALFORMED, naming why', () => {
    if (process.getuid?.() === 0) {
      // root reads any file: an unreadable one cannot be made, so a dangling link stands in for it.
      fs.symlinkSync(path.join(dir, 'nowhere'), path.join(dir, 'dangling.der'));
      expect(() => readCsrFile(path.join(dir, 'dangling.der'))).toThrow(/ENOENT/);
      return;
    }
    fs.writeFileSync(path.join(dir, 'locked.der'), 'x', { mode: 0o000 });
    expect(() => readCsrFile(path.join(dir, 'locked.der'))).toThrow(/EACCES/);
  });

  it('leaves the access time of the file it reads as it was', async () => {
    const file = path.join(dir, 'atime.der');
    fs.writeFileSync(file, await makeCsr({ name: 'CN=atime-1' }));
    expect(await accessTimeKept(file, () => readCsrFile(file))).toBe(true);
  });

  it("reads a file another user owns (the flag that keeps its access time is the owner's only)", () => {
    const module = JSON.stringify(path.resolve('main/devices/files/csr-files.ts'));
    const out = printedForAnotherUsersFile(
      '<not a request>\n',
      (file) => `import { readCsrFile } from ${module};
        try { readCsrFile(${JSON.stringify(file)}); } catch (e) { console.log(e.message); }`,
    );
    // Read, and refused only as what it is: not a request (EPERM had it not been read).
    const refusal = /neither DER, PEM nor base64/;
    if (out === undefined) expect(() => readCsrFile(SYSTEM_FILE)).toThrow(refusal);
    else expect(out).toMatch(refusal);
  });
});
