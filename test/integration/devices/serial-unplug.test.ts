// An unplug is recognised from the port itself, at once — never by a command running out its
// deadline (#16): on a loaded machine serialport's read error can come late, and an unplug read as
// DEVICE_TIMEOUT mislabels a pulled cable (and made the replug test flaky).
import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import type { PtySimulator } from '../../../main/devices/nrf91-sim/pty-host';
import { openModem, ptyModems } from '../../helpers/pty';

const started: PtySimulator[] = [];
afterAll(async () => {
  await Promise.all(started.map((s) => s.close()));
});

describe('a serial port that goes away', () => {
  it('a command in flight ends DEVICE_DISCONNECTED when the device node vanishes, before its deadline', async () => {
    const [sim] = await ptyModems(1);
    started.push(sim!);
    const modem = await openModem(sim!.hostPath);
    try {
      await modem.connect();
      // The modem stays silent, and the port's node disappears (as /dev/ttyACM0 does when pulled)
      // while the far end is still open, so serialport itself reports nothing.
      sim!.simulator.inject('drop-reply', /^AT\+CGSN/);
      const pending = modem.at.command('AT+CGSN=1', { timeoutMs: 60_000 });
      fs.unlinkSync(sim!.hostPath);
      await expect(pending).rejects.toMatchObject({
        code: 'DEVICE_DISCONNECTED',
        message: expect.stringContaining('unplugged'),
      });
    } finally {
      await modem.at.close().catch(() => undefined);
    }
  });

  it('pulling the cable mid-command (the far end closes) ends DEVICE_DISCONNECTED too', async () => {
    const [sim] = await ptyModems(1);
    started.push(sim!);
    const modem = await openModem(sim!.hostPath);
    try {
      await modem.connect();
      sim!.simulator.inject('drop-reply', /^AT\+CGMR/);
      const pending = modem.at.command('AT+CGMR', { timeoutMs: 60_000 });
      await sim!.unplug();
      await expect(pending).rejects.toMatchObject({ code: 'DEVICE_DISCONNECTED' });
    } finally {
      await modem.at.close().catch(() => undefined);
    }
  });
});
