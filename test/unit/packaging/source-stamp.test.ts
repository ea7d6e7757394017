// The stamp that names the CLI bundle's build (main/bin/cli-build.cjs): every command computes it
// from numbers alone (folder and file times, sizes) and runs the build of that name, so a change it
// missed would run yesterday's code. Each way a source changes must give a new stamp; a tree left
// alone must keep its stamp (or every command would build again).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sourceStamp } from '../../../main/bin/cli-build.cjs';

let root: string;

beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'stamp-'));
  fs.mkdirSync(path.join(root, 'main/cli'), { recursive: true });
  fs.mkdirSync(path.join(root, 'shared'));
  fs.writeFileSync(path.join(root, 'main/cli/start.ts'), 'export const a = 1;\n');
  fs.writeFileSync(path.join(root, 'shared/errors.ts'), 'export const b = 2;\n');
  fs.writeFileSync(path.join(root, 'package.json'), '{}\n');
});

afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

/** Lets the clock move past the file system's time granularity, so a rewrite has a new time. */
const tick = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('the CLI sources stamp', () => {
  it('stays the same while nothing changes', () => {
    expect(sourceStamp(root)).toBe(sourceStamp(root));
    expect(sourceStamp(root)).toMatch(/^[0-9a-f]{16}$/);
  });

  it('changes when a source is rewritten in place with the same size', async () => {
    const before = sourceStamp(root);
    await tick();
    fs.writeFileSync(path.join(root, 'main/cli/start.ts'), 'export const a = 9;\n');
    expect(sourceStamp(root)).not.toBe(before);
  });

  it('changes when a source is added, removed or renamed, or package.json changes', async () => {
    const stamps = new Set([sourceStamp(root)]);
    await tick();
    fs.writeFileSync(path.join(root, 'shared/new.ts'), 'export {};\n');
    stamps.add(sourceStamp(root));
    await tick();
    fs.renameSync(path.join(root, 'shared/new.ts'), path.join(root, 'shared/renamed.ts'));
    stamps.add(sourceStamp(root));
    await tick();
    fs.rmSync(path.join(root, 'shared/renamed.ts'));
    stamps.add(sourceStamp(root));
    await tick();
    fs.writeFileSync(path.join(root, 'package.json'), '{"a":1}\n');
    stamps.add(sourceStamp(root));
    expect(stamps.size).toBe(5);
  });

  it('follows the entries of a folder, not what a file that is not a source holds', async () => {
    const before = sourceStamp(root);
    await tick();
    // A file in an existing folder changes that folder's time: this one's folder is made first.
    fs.mkdirSync(path.join(root, 'main/notes'));
    const withFolder = sourceStamp(root);
    expect(withFolder).not.toBe(before);
    await tick();
    fs.writeFileSync(path.join(root, 'main/notes/readme.md'), '# notes\n');
    // The folder's time moved (an entry was added): the stamp follows folders, not names.
    expect(sourceStamp(root)).not.toBe(withFolder);
    const afterAdd = sourceStamp(root);
    await tick();
    fs.writeFileSync(path.join(root, 'main/notes/readme.md'), '# other\n');
    expect(sourceStamp(root)).toBe(afterAdd);
  });
});
