import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveDataDir } from '../../../main/station/data-dir';

describe('data folder resolution: --data-dir > ENROLLER_DATA_DIR > OS app-data', () => {
  it('prefers the flag', () => {
    expect(resolveDataDir({ flag: '/srv/a', env: { ENROLLER_DATA_DIR: '/srv/b' } })).toBe('/srv/a');
  });
  it('then the environment variable', () => {
    expect(resolveDataDir({ env: { ENROLLER_DATA_DIR: '/srv/b' } })).toBe('/srv/b');
  });
  it('makes a relative flag absolute', () => {
    expect(resolveDataDir({ flag: 'rel', env: {} })).toBe(path.resolve('rel'));
  });
  it.each([
    ['linux', {}, '/home/t/.config/floor-enroller'],
    ['linux', { XDG_CONFIG_HOME: '/x' }, '/x/floor-enroller'],
    ['darwin', {}, '/home/t/Library/Application Support/floor-enroller'],
    ['win32', { APPDATA: 'C:/Users/t/AppData/Roaming' }, 'C:/Users/t/AppData/Roaming/floor-enroller'],
  ] as const)('falls back to the %s app-data folder', (platform, env, expected) => {
    expect(resolveDataDir({ env, platform, home: '/home/t' })).toBe(expected);
  });
});
