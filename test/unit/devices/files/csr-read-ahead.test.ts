// CSR files read ahead on a worker (bulk runs): a plain request file comes back as its bytes, many
// at once; anything not plainly a CSR-sized regular file comes back undefined, for the run to read
// the authoritative way (readCsrFile) and say why; access times are left alone, and a file of
// another user is read all the same.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CsrReadAhead } from '../../../../main/devices/files/csr-read-ahead';
import { DEFAULT_MAX_CSR_BYTES } from '../../../../main/pki/csr-intake';
import { makeCsr } from '../../../helpers/csr';
import { accessTimeKept } from './access-time';
import { printedForAnotherUsersFile, SYSTEM_FILE } from './as-another-user';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'csr-read-ahead-'));
const reader = new CsrReadAhead();
afterAll(async () => {
  await reader.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('CsrReadAhead', () => {
  it('reads many request files at once, each as its bytes', async () => {
    const files = await Promise.all(
      Array.from({ length: 80 }, async (_, i) => {
        const file = path.join(dir, `many-${i}.der`);
        fs.writeFileSync(file, await makeCsr({ name: `CN=many-${i}` }));
        return file;
      }),
    );
    const read = await Promise.all(files.map((file) => reader.read(file)));
    read.forEach((bytes, i) => expect(Buffer.from(bytes!).equals(fs.readFileSync(files[i]!))).toBe(true));
  });

  it('leaves to the usual reading a missing file, a folder, an oversized file and a FIFO', async () => {
    fs.mkdirSync(path.join(dir, 'folder.der'));
    fs.writeFileSync(path.join(dir, 'huge.der'), Buffer.alloc(DEFAULT_MAX_CSR_BYTES * 2 + 1, 0x30));
    execFileSync('mkfifo', [path.join(dir, 'fifo.der')]);
    // A FIFO opened blocking would hold the worker, and every file after it, for ever.
    for (const name of ['missing.der', 'folder.der', 'huge.der', 'fifo.der']) {
      expect(await reader.read(path.join(dir, name)), name).toBeUndefined();
    }
    const after = path.join(dir, 'after.der');
    fs.writeFileSync(after, await makeCsr({ name: 'CN=after' }));
    expect(await reader.read(after)).toBeDefined();
  });

  it('leaves the access time of the file it reads as it was', async () => {
    const file = path.join(dir, 'atime.der');
    fs.writeFileSync(file, await makeCsr({ name: 'CN=atime-2' }));
    expect(await accessTimeKept(file, () => reader.read(file))).toBe(true);
  });

  it('reads a file another user owns', async () => {
    const module = JSON.stringify(path.resolve('main/devices/files/csr-read-ahead.ts'));
    const out = printedForAnotherUsersFile(
      'owned by nobody\n',
      (file) => `import { CsrReadAhead } from ${module};
        const reader = new CsrReadAhead();
        const bytes = await reader.read(${JSON.stringify(file)});
        console.log(bytes ? Buffer.from(bytes).toString() : 'not read');
        await reader.close();`,
    );
    if (out === undefined) expect(await reader.read(SYSTEM_FILE)).toBeDefined();
    else expect(out).toBe('owned by nobody\n\n');
  });
});
