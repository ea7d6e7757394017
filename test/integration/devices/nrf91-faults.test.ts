// Fault injection over real PTYs, on the modem layer alone (no way to reopen a port): an unplug
// ends as DEVICE_DISCONNECTED at once, every other fault is recovered on that device alone; the
// healthy devices beside them finish; no CSR is attributed to the wrong device. (The whole matrix,
// through the bench, is link-faults.test.ts.)
import { afterAll, describe, expect, it } from 'vitest';
import { EnrollerError } from '../../../shared/errors';
import type { Fault } from '../../../main/devices/nrf91-sim/simulator';
import type { PtySimulator } from '../../../main/devices/nrf91-sim/pty-host';
import { openModem, ptyModems } from '../../helpers/pty';

const TAG = 16842753;
const started: PtySimulator[] = [];
afterAll(async () => {
  await Promise.all(started.map((s) => s.close()));
});

async function enrollOne(sim: PtySimulator) {
  const modem = await openModem(sim.hostPath);
  let failedAt = 0;
  const began = Date.now();
  try {
    await modem.connect();
    const identity = await modem.identify();
    await modem.setFunctionalMode(4);
    const key = await modem.generateKey(TAG, `CN=nrf-${identity.imei}`, identity.deviceUuid);
    return { ok: true as const, imei: identity.imei, spki: Buffer.from(key.csr.publicKeySpki).toString('base64') };
  } catch (error) {
    failedAt = Date.now();
    return { ok: false as const, error: error as EnrollerError, ms: failedAt - began };
  } finally {
    await modem.at.close().catch(() => undefined);
  }
}

// [fault, the command it hits, the code it ends with (undefined: recovered)]
const faults: Array<[Fault, RegExp, string | undefined]> = [
  ['unplug', /^AT\+CGMR/, 'DEVICE_DISCONNECTED'],
  ['unplug', /^AT%KEYGEN/, 'DEVICE_DISCONNECTED'],
  ['reset', /^AT%KEYGEN/, undefined],
  ['garbage', /^AT\+CGSN/, undefined],
  ['drop-reply', /^AT\+CGSN/, undefined],
  ['wrong-answer', /^AT\+CGMR/, undefined],
];

describe('fault injection on a batch of modems', () => {
  it('fails only the unplugged devices, at once; the rest recover or finish', async () => {
    const sims = await ptyModems(faults.length + 3, { baudRate: 115200, keygenDelayMs: 200 });
    started.push(...sims);
    faults.forEach(([fault, when], i) => sims[i]!.simulator.inject(fault, when));
    const results = await Promise.all(sims.map(enrollOne));

    faults.forEach(([fault, , code], i) => {
      const result = results[i]!;
      if (code === undefined) {
        expect(result.ok, `${fault} is recovered: ${result.ok ? '' : result.error.message}`).toBe(true);
        return;
      }
      expect(result.ok, `${fault} should fail device ${i}`).toBe(false);
      if (result.ok) return;
      expect(result.error).toBeInstanceOf(EnrollerError);
      expect(result.error.code, `${fault}: ${result.error.message}`).toBe(code);
      expect(result.ms, `${fault} detected after ${result.ms} ms`).toBeLessThan(3000);
    });
    for (let i = 0; i < sims.length; i++) {
      if (faults[i]?.[2]) continue;
      const result = results[i]!;
      expect(result.ok, `healthy device ${i}: ${result.ok ? '' : result.error.message}`).toBe(true);
      if (!result.ok) continue;
      expect(result.imei).toBe(sims[i]!.simulator.imei);
      // The key in the CSR is the one this modem holds — never another device's.
      expect(sims[i]!.simulator.store.get(TAG, 2)?.content).toContain(result.spki);
      for (const other of sims)
        if (other !== sims[i]) expect(other.simulator.store.get(TAG, 2)?.content ?? '').not.toContain(result.spki);
    }
  });

  it.each(['drop-reply', 'late-reply'] as const)(
    'recovers after a %s: no late answer is taken for a later command',
    async (fault) => {
      const [sim] = await ptyModems(1, { baudRate: 115200 });
      started.push(sim!);
      const modem = await openModem(sim!.hostPath);
      await modem.connect();
      sim!.simulator.inject(fault, /^AT\+CGSN/);
      await expect(modem.identify()).resolves.toMatchObject({ imei: sim!.simulator.imei });
      await expect(modem.functionalMode()).resolves.toBe(0);
      await expect(modem.identify()).resolves.toMatchObject({ imei: sim!.simulator.imei });
      await expect(modem.list(TAG)).resolves.toEqual([]);
      await modem.at.close();
    },
  );

  it('survives a 70 KiB flood line: discarded, asked again, answered', async () => {
    const [sim] = await ptyModems(1);
    started.push(sim!);
    const modem = await openModem(sim!.hostPath);
    await modem.connect();
    sim!.simulator.inject('flood', /^AT\+CGSN/);
    const recoveries: unknown[] = [];
    modem.link.on('recovered', (r) => recoveries.push(r));
    await expect(modem.identify()).resolves.toMatchObject({ imei: sim!.simulator.imei });
    expect(recoveries).toEqual([{ kind: 'retried', command: 'AT+CGSN=1', cause: 'DEVICE_LINE_TOO_LONG' }]);
    await modem.at.close();
  });

  it('reports an unplugged port and refuses further commands at once', async () => {
    const [sim] = await ptyModems(1);
    started.push(sim!);
    const modem = await openModem(sim!.hostPath);
    await modem.connect();
    const closed = new Promise<void>((resolve) => modem.at.transport.onClose(() => resolve()));
    await sim!.unplug();
    await closed;
    await expect(modem.identify()).rejects.toMatchObject({ code: 'DEVICE_DISCONNECTED' });
  });
});
