// `enroller sim --count N` gives N real serial ports with a modem behind each.
import { describe, expect, it } from 'vitest';
import { simulate } from '../../helpers/cli';
import { openModem } from '../../helpers/pty';
import { tempDir } from '../../helpers/station';

describe('enroller sim', () => {
  it('prints N port paths; each answers as a distinct modem, and keeps its credentials across restarts', async () => {
    const dataDir = tempDir();
    const first = await simulate(dataDir, 3, ['--keygen-delay', '0']);
    expect(first.ports).toHaveLength(3);
    const imeis: string[] = [];
    for (const { port, imei } of first.ports) {
      const modem = await openModem(port);
      await modem.connect();
      const identity = await modem.identify();
      expect(identity.imei).toBe(imei);
      imeis.push(identity.imei);
      await modem.setFunctionalMode(4);
      await modem.generateKey(16842753, `CN=nrf-${imei}`, identity.deviceUuid);
      await modem.at.close();
    }
    expect(new Set(imeis).size).toBe(3);
    await first.stop();

    const second = await simulate(dataDir, 1, ['--keygen-delay', '0']);
    expect(second.ports[0]?.imei).toBe(imeis[0]);
    const modem = await openModem(second.ports[0]!.port);
    await modem.connect();
    expect((await modem.list(16842753)).map((e) => e.type)).toEqual([2]);
    await modem.at.close();
    await second.stop();
  });
});
