import { describe, expect, it } from 'vitest';
import { PortWatcher, rankPorts, type PortCandidate } from '../../../main/devices/serial/discovery';

describe('port discovery', () => {
  it('ranks Nordic kits first, then USB adapters, then the rest, and names the kit', () => {
    const ranked = rankPorts([
      { path: '/dev/ttyS0' },
      { path: '/dev/ttyUSB0', vendorId: '0403', productId: '6001', manufacturer: 'FTDI' },
      { path: '/dev/ttyACM1', vendorId: '1366', productId: '1059', serialNumber: '001051216197' },
      { path: '/dev/ttyACM0', vendorId: '1915', serialNumber: 'THINGY91X_1234' },
    ]);
    expect(ranked.map((p) => [p.path, p.rank, p.kit])).toEqual([
      ['/dev/ttyACM0', 0, 'Thingy:91 X'],
      ['/dev/ttyACM1', 0, 'nRF9151 DK'],
      ['/dev/ttyUSB0', 1, undefined],
      ['/dev/ttyS0', 2, undefined],
    ]);
  });

  it('reports attached and detached ports between polls', async () => {
    const port = (path: string): PortCandidate => rankPorts([{ path, vendorId: '1366' }])[0]!;
    let now = [port('/dev/ttyACM0')];
    const watcher = new PortWatcher(async () => now);
    const seen: string[] = [];
    watcher.on('attached', (p) => seen.push(`+${p.path}`));
    watcher.on('detached', (p) => seen.push(`-${p}`));
    await watcher.poll();
    now = [port('/dev/ttyACM0'), port('/dev/ttyACM2')];
    await watcher.poll();
    now = [port('/dev/ttyACM2')];
    await watcher.poll();
    expect(seen).toEqual(['+/dev/ttyACM0', '+/dev/ttyACM2', '-/dev/ttyACM0']);
  });
});
