import { describe, expect, it } from 'vitest';
import { PathList } from '../../../main/cli/path-list';

describe('PathList', () => {
  it('gives back every path as it was given, in order, multi-byte names included', () => {
    const paths = ['/csrs/a.der', '/csrs/ünïcode-設備-😀.pem', '', 'relative/b.csr', '/csrs/a.der'];
    const list = new PathList(paths);
    expect(list.length).toBe(paths.length);
    expect(paths.map((_, i) => list.at(i))).toEqual(paths);
  });

  it('answers undefined past either end, as an array would', () => {
    const list = new PathList(['/only.der']);
    expect([list.at(-1), list.at(1), list.at(1.5), list.at(Number.NaN)]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(new PathList([]).at(0)).toBeUndefined();
  });

  it('holds 100,000 paths in one buffer of their bytes', () => {
    const paths = Array.from({ length: 100_000 }, (_, i) => `/work/csrs/device-${i}.der`);
    const list = new PathList(paths);
    expect(list.at(99_999)).toBe('/work/csrs/device-99999.der');
    expect(list.at(12_345)).toBe('/work/csrs/device-12345.der');
  });
});
