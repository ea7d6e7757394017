// The deb's udev rule that keeps ModemManager off the station's modems: well-formed, covering
// exactly the USB vendors the station ranks as Nordic kits, and wired into the deb.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { NORDIC_VIDS } from '../../../main/devices/serial/discovery';

const root = path.resolve(import.meta.dirname, '../../..');
const rule = fs.readFileSync(path.join(root, 'build/linux/99-floor-enroller.rules'), 'utf8');

describe('ModemManager udev rule', () => {
  it('is well-formed udev syntax: matches with ==, the one assignment with =', () => {
    const lines = rule.split('\n').filter((l) => l.trim() && !l.startsWith('#'));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      const pairs = line.split(/,\s*/);
      for (const pair of pairs)
        expect(pair, line).toMatch(/^(ACTION|SUBSYSTEM|ATTRS\{idVendor\})=="[^"]+"$|^ENV\{ID_MM_DEVICE_IGNORE\}="1"$/);
      expect(pairs.at(-1)).toBe('ENV{ID_MM_DEVICE_IGNORE}="1"');
    }
  });

  it('covers every vendor the station ranks as a Nordic kit, for tty and usb devices', () => {
    for (const vid of NORDIC_VIDS) {
      for (const subsystem of ['tty', 'usb'])
        expect(rule).toContain(`SUBSYSTEM=="${subsystem}", ATTRS{idVendor}=="${vid}", ENV{ID_MM_DEVICE_IGNORE}="1"`);
    }
    const vids = new Set([...rule.matchAll(/idVendor\}=="([0-9a-f]{4})"/g)].map((m) => m[1]));
    expect([...vids].sort()).toEqual([...NORDIC_VIDS].sort());
  });

  it('is installed by the deb, with udev reloaded after install', () => {
    const builder = fs.readFileSync(path.join(root, 'electron-builder.yml'), 'utf8');
    expect(builder).toMatch(
      /^\s+- build\/linux\/99-floor-enroller\.rules=\/usr\/lib\/udev\/rules\.d\/99-floor-enroller\.rules$/m,
    );
    expect(builder).toMatch(/^\s+afterInstall: build\/linux\/after-install\.sh$/m);
    const script = path.join(root, 'build/linux/after-install.sh');
    expect(fs.statSync(script).mode & 0o111).not.toBe(0);
    expect(fs.readFileSync(script, 'utf8')).toContain('udevadm control --reload-rules');
  });
});
