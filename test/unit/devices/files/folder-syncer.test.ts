// The syncfs helper of a bulk run (folder-syncer.ts): one shell kept for the run answers each sync
// in order, says when it could not sync, and never keeps the process alive once idle.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DeferredFileSync } from '../../../../main/devices/files/file-durability';
import { FolderSyncer } from '../../../../main/devices/files/folder-syncer';

const dirs: string[] = [];
const tempDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'folder-syncer-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => dirs.splice(0).forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

describe('FolderSyncer', () => {
  it('answers many syncs of one folder, in order, from one helper', async () => {
    const syncer = new FolderSyncer(tempDir());
    const answers = await Promise.all(Array.from({ length: 20 }, () => syncer.sync()));
    expect(answers).toEqual(Array(20).fill(true));
    syncer.close();
  });

  it('answers false for a folder that cannot be synced, and after it was closed', async () => {
    const gone = new FolderSyncer(path.join(tempDir(), 'no such folder'));
    expect(await gone.sync()).toBe(false);
    gone.close();
    const closed = new FolderSyncer(tempDir());
    closed.close();
    expect(await closed.sync()).toBe(false);
  });

  it('takes a folder name the shell would otherwise parse as it is', async () => {
    const odd = path.join(tempDir(), '$(touch pwned) "; -f');
    fs.mkdirSync(odd);
    const syncer = new FolderSyncer(odd);
    expect(await syncer.sync()).toBe(true);
    syncer.close();
    expect(fs.readdirSync(path.dirname(odd))).toEqual([path.basename(odd)]);
  });

  it('does not keep Node alive while idle, and does while a sync is waiting', () => {
    const dir = tempDir();
    const module = path.resolve('main/devices/files/folder-syncer.ts');
    const script = `
      const { FolderSyncer } = await import(${JSON.stringify(module)});
      const syncer = new FolderSyncer(${JSON.stringify(dir)});
      const answer = await syncer.sync();
      process.on('exit', () => console.log('exited after answer ' + answer));
    `;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(out.trim()).toBe('exited after answer true');
  });
});

describe('DeferredFileSync', () => {
  /** The syncfs helpers alive for this folder: processes whose argv names it. */
  const helpersFor = (dir: string) =>
    fs
      .readdirSync('/proc')
      .filter((pid) => /^\d+$/.test(pid))
      .filter((pid) => {
        try {
          return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(dir);
        } catch {
          return false; // ended meanwhile
        }
      });
  const writeMany = (dir: string, durability: DeferredFileSync, prefix: string) => {
    for (let i = 0; i < 100; i++) {
      fs.writeFileSync(path.join(dir, `${prefix}${i}`), 'x');
      durability.written(path.join(dir, `${prefix}${i}`));
    }
  };

  it('makes a group of files durable through one helper, and once closed fsyncs them without one', async () => {
    const dir = tempDir();
    const durability = new DeferredFileSync();
    writeMany(dir, durability, 'a');
    await durability.flush();
    writeMany(dir, durability, 'b');
    await durability.flush();
    expect(helpersFor(dir), 'one helper kept for both groups').toHaveLength(1);
    durability.close();
    await vi.waitFor(() => expect(helpersFor(dir)).toHaveLength(0));
    writeMany(dir, durability, 'c');
    await durability.flush();
    expect(helpersFor(dir), 'no helper started after close').toHaveLength(0);
  });
});
