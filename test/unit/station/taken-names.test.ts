import { describe, expect, it } from 'vitest';
import { nameHash, TakenNames } from '../../../main/station/bulk/taken-names';

describe('TakenNames', () => {
  it('never misses a name it was given, at start or since, through its growth', () => {
    const taken = new TakenNames(['existing-a', 'existing-b']);
    const added = Array.from({ length: 50_000 }, (_, i) => `device-${i}`);
    for (const name of added) taken.add(name);
    expect(taken.size).toBe(50_002);
    expect([...added, 'existing-a', 'existing-b'].every((name) => taken.mightHave(name))).toBe(true);
  });

  it('counts a name added twice once', () => {
    const taken = new TakenNames();
    taken.add('twin');
    taken.add('twin');
    expect(taken.size).toBe(1);
  });

  it('tells names it was not given as free, but for the rare shared hash', () => {
    const taken = new TakenNames(
      Array.from({ length: 50_000 }, (_, i) => `device-${i}`),
      0x5eed,
    );
    const others = Array.from({ length: 100_000 }, (_, i) => `other-${i}`);
    // 50,000 of 2^32 hashes taken: about one stranger in 86,000 looks taken.
    expect(others.filter((name) => taken.mightHave(name)).length).toBeLessThanOrEqual(10);
  });

  it('says taken for a name that shares a hash with one given, which sends its file the careful way', () => {
    // Two names whose hashes meet under one seed: about 80,000 names in, by the birthday bound.
    const seed = 0x5eed;
    const seen = new Map<number, string>();
    let pair: [string, string] | undefined;
    for (let i = 0; !pair; i++) {
      const name = `n-${i}`;
      const hash = nameHash(name, seed);
      const other = seen.get(hash);
      if (other !== undefined) pair = [other, name];
      else seen.set(hash, name);
    }
    const taken = new TakenNames([pair[0]], seed);
    expect(taken.mightHave(pair[1])).toBe(true);
  });
});
