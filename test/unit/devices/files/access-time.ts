// Whether reading a file left its access time alone. The file is given an access time older than
// its last change first: under relatime (the Linux default) the next ordinary read then writes a
// new one, so a reader that does not keep it shows here.
import fs from 'node:fs';

export async function accessTimeKept(file: string, read: () => unknown): Promise<boolean> {
  const stat = fs.statSync(file);
  // Whole seconds, which every file system keeps exactly.
  const before = Math.floor(stat.mtimeMs / 1000) - 3600;
  fs.utimesSync(file, before, stat.mtime);
  await read();
  return fs.statSync(file).atimeMs === before * 1000;
}
