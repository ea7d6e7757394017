// The nRF91 client through the real serialport stack over real PTYs (socat) to the simulator.
import { afterAll, describe, expect, it } from 'vitest';
import { CredentialType } from '../../../main/devices/nrf91/modem';
import type { PtySimulator } from '../../../main/devices/nrf91-sim/pty-host';
import { samplePem } from '../../helpers/modem';
import { openModem, ptyModems } from '../../helpers/pty';

const TAG = 16842753;
const started: PtySimulator[] = [];
afterAll(async () => {
  await Promise.all(started.map((s) => s.close()));
});

describe('nRF91 over real PTYs', () => {
  it('identify, offline, delete, keygen, write, list, online on 8 modems at once: no cross-talk', async () => {
    const sims = await ptyModems(8, { baudRate: 115200 });
    started.push(...sims);
    const ca = await samplePem('Floor Root');
    const results = await Promise.all(
      sims.map(async (sim) => {
        const modem = await openModem(sim.hostPath);
        await modem.connect();
        const identity = await modem.identify();
        await modem.setFunctionalMode(1);
        const outcome = await modem.withOffline(async () => {
          await modem.delete(TAG, CredentialType.clientCert);
          const key = await modem.generateKey(TAG, `CN=nrf-${identity.imei}`, identity.deviceUuid);
          const client = await samplePem(`nrf-${identity.imei}`);
          const writtenClient = await modem.write(TAG, CredentialType.clientCert, client, { deleteFirst: true });
          const writtenCa = await modem.write(TAG, CredentialType.rootCa, ca, { deleteFirst: true });
          const listed = await modem.list(TAG);
          return { key, writtenClient, writtenCa, listed };
        });
        const mode = await modem.functionalMode();
        await modem.at.close();
        return { sim, identity, mode, ...outcome };
      }),
    );
    for (const r of results) {
      expect(r.identity.imei).toBe(r.sim.simulator.imei);
      expect(r.key.csr.subject).toBe(`CN=nrf-${r.sim.simulator.imei}`);
      // The CSR's key is the key this simulator holds for the tag, not another modem's.
      const stored = r.sim.simulator.store.get(TAG, CredentialType.clientKey)?.content ?? '';
      expect(stored).toContain(Buffer.from(r.key.csr.publicKeySpki).toString('base64'));
      const byType = new Map(r.listed.map((e) => [e.type, e.sha256]));
      expect(byType.get(CredentialType.clientCert)).toBe(r.writtenClient.sha256);
      expect(byType.get(CredentialType.rootCa)).toBe(r.writtenCa.sha256);
      expect(r.mode).toBe(1);
    }
    expect(new Set(results.map((r) => r.identity.imei)).size).toBe(8);
  });

  it('refuses a second owner of the same port, also through a symlink', async () => {
    const [sim] = await ptyModems(1);
    started.push(sim!);
    const first = await openModem(sim!.hostPath);
    await expect(openModem(sim!.hostPath)).rejects.toMatchObject({ code: 'DEVICE_PORT_BUSY' });
    const fs = await import('node:fs');
    await expect(openModem(fs.realpathSync(sim!.hostPath))).rejects.toMatchObject({ code: 'DEVICE_PORT_BUSY' });
    await first.at.close();
    const again = await openModem(sim!.hostPath);
    await again.connect();
    await again.at.close();
  });

  it('refuses an oversize write before sending a byte, and the modem still answers', async () => {
    const [sim] = await ptyModems(1);
    started.push(sim!);
    const modem = await openModem(sim!.hostPath);
    await modem.connect();
    await modem.setFunctionalMode(4);
    const before = sim!.simulator.bytesIn;
    const huge = `-----BEGIN CERTIFICATE-----\n${'A'.repeat(64).concat('\n').repeat(70)}-----END CERTIFICATE-----`;
    await expect(modem.write(TAG, 0, huge)).rejects.toMatchObject({ code: 'MODEM_BUFFER_TOO_SMALL' });
    expect(sim!.simulator.bytesIn).toBe(before);
    await expect(modem.list(TAG)).resolves.toEqual([]);
    await modem.at.close();
  });
});
