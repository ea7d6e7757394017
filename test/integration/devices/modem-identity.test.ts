// Know each modem (#21): model (+CGMM), firmware (+CGMR) and the attestation token (%ATTESTTOKEN)
// go on the device's record, into `device show` and the devinfo / nrfcloud-claim exports; a device
// type's firmware policy refuses a modem outside it before any key is made. On the simulator's
// firmware variants: an nRF9151 on mfw 2.0.2 (with a token) and an nRF9160 on mfw 1.3.5 (without);
// and mfw 1.3.1, which lists no SHA-256 digests, so certificates are proven by reading them back.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { PtySimulator } from '../../../main/devices/nrf91-sim/pty-host';
import { runEnroller } from '../../helpers/cli';
import { openModem, ptyModems } from '../../helpers/pty';
import { nrf91Type } from '../../helpers/setups';
import { tempDir } from '../../helpers/station';

const TAG = 16842753;
const cleanup: Array<() => Promise<void>> = [];
afterAll(async () => {
  await Promise.all(cleanup.map((c) => c()));
});

describe('each modem known by what it says it is', () => {
  it('firmware policy refuses before keygen; model, firmware and token recorded and exported', async () => {
    const dir = tempDir();
    const pass = path.join(dir, 'pass');
    fs.writeFileSync(pass, 'modem identity passphrase');
    await runEnroller(dir, 'ca', 'init', '--passphrase-file', pass);
    const types = {
      'nrf91-fw2': nrf91Type('nrf91-fw2', { modemFirmware: { minimum: '2.0.0' } }),
      'nrf91-pinned': nrf91Type('nrf91-pinned', { modemFirmware: { allowed: ['mfw_nrf9160_1.3.5'] } }),
    };
    for (const [name, type] of Object.entries(types)) {
      const file = path.join(dir, `${name}.json`);
      fs.writeFileSync(file, JSON.stringify(type));
      expect((await runEnroller(dir, 'device-type', 'import', file)).code).toBe(0);
    }
    const [nrf9151] = await ptyModems(1, { firmware: 'mfw_nrf91x1_2.0.2', keygenDelayMs: 50 });
    const [nrf9160] = await ptyModems(1, { firmware: 'mfw_nrf9160_1.3.5', keygenDelayMs: 50 });
    cleanup.push(async () => void (await Promise.all([nrf9151!, nrf9160!].map((s) => s.close()))));
    const provision = (type: string, sim: PtySimulator) =>
      runEnroller(dir, 'provision', '--port', sim.hostPath, '--device-type', type, '--passphrase-file', pass);

    // Below the minimum: refused before a key is made (nothing in the modem at all).
    const old = await provision('nrf91-fw2', nrf9160!);
    expect(old.lines[0]).toMatchObject({ status: 'failed', code: 'MODEM_FIRMWARE_NOT_ALLOWED' });
    expect(old.lines[0]!.message).toMatch(
      /runs modem firmware mfw_nrf9160_1\.3\.5; device type nrf91-fw2 takes 2\.0\.0 or newer/,
    );
    expect(nrf9160!.simulator.store.get(TAG, 2)).toBeUndefined();
    // Not on the allowed list.
    const unlisted = await provision('nrf91-pinned', nrf9151!);
    expect(unlisted.lines[0]).toMatchObject({ status: 'failed', code: 'MODEM_FIRMWARE_NOT_ALLOWED' });
    expect(nrf9151!.simulator.store.get(TAG, 2)).toBeUndefined();

    // Each where its policy takes it.
    expect((await provision('nrf91-fw2', nrf9151!)).lines[0]).toMatchObject({ status: 'verified' });
    expect((await provision('nrf91-pinned', nrf9160!)).lines[0]).toMatchObject({ status: 'verified' });

    const show = async (sim: PtySimulator) =>
      (await runEnroller(dir, 'device', 'show', `nrf-${sim.simulator.imei}`)).lines[0]!;
    expect(await show(nrf9151!)).toMatchObject({
      model: 'nRF9151-LACA',
      firmware: 'mfw_nrf91x1_2.0.2',
      attestationToken: expect.stringMatching(/^[\w-]+\.[\w-]+$/),
    });
    const shown9160 = await show(nrf9160!);
    expect(shown9160).toMatchObject({ model: 'nRF9160-SICA', firmware: 'mfw_nrf9160_1.3.5' });
    expect(shown9160.attestationToken).toBeUndefined();

    const report = await runEnroller(dir, 'export', '--format', 'report');
    expect(report.lines.find((l) => l.imei === nrf9151!.simulator.imei)).toMatchObject({
      model: 'nRF9151-LACA',
      firmware: 'mfw_nrf91x1_2.0.2',
    });
    const devinfo = await runEnroller(dir, 'export', '--format', 'devinfo');
    expect(devinfo.lines.map((l) => [l.deviceId, l.model, l.firmware]).sort()).toEqual(
      [
        [`nrf-${nrf9151!.simulator.imei}`, 'nRF9151-LACA', 'mfw_nrf91x1_2.0.2'],
        [`nrf-${nrf9160!.simulator.imei}`, 'nRF9160-SICA', 'mfw_nrf9160_1.3.5'],
      ].sort(),
    );
    const csv = path.join(dir, 'devinfo.csv');
    await runEnroller(dir, 'export', '--format', 'devinfo', '--out', csv);
    expect(fs.readFileSync(csv, 'utf8').split('\r\n')[0]).toBe('deviceId,imei,uuid,model,firmware,mode');

    // nRF Cloud claims with the token: only the modem that gave one, with its own UUID in it.
    const claim = await runEnroller(dir, 'export', '--format', 'nrfcloud-claim');
    expect(claim.lines).toEqual([
      {
        deviceId: `nrf-${nrf9151!.simulator.imei}`,
        imei: nrf9151!.simulator.imei,
        uuid: expect.stringMatching(/^[0-9a-f-]{36}$/),
        claimToken: (await show(nrf9151!)).attestationToken,
      },
    ]);
  });

  it('firmware before 1.3.2 lists no digests: certificates are proven by reading them back', async () => {
    const dir = tempDir();
    const pass = path.join(dir, 'pass');
    fs.writeFileSync(pass, 'modem identity passphrase');
    await runEnroller(dir, 'ca', 'init', '--passphrase-file', pass);
    const [old] = await ptyModems(1, { firmware: 'mfw_nrf9160_1.3.1', keygenDelayMs: 50 });
    cleanup.push(() => old!.close());
    const run = await runEnroller(
      dir,
      'provision',
      '--port',
      old!.hostPath,
      '--device-type',
      'nrf91-default',
      '--passphrase-file',
      pass,
    );
    expect(run.lines[0], JSON.stringify(run.lines)).toMatchObject({ status: 'verified' });

    // The same proof, asked again after the certificate in the modem was changed behind the station's back.
    const written = old!.simulator.store.get(TAG, 1)!;
    const modem = await openModem(old!.hostPath);
    try {
      await modem.connect();
      await expect(modem.verifyStored(TAG, 1, written.sha256)).resolves.toBeUndefined();
      old!.simulator.store.put(
        TAG,
        1,
        written.content.replace('-----END CERTIFICATE-----', '-----END CERTIFICATE----- '),
      );
      await expect(modem.verifyStored(TAG, 1, written.sha256)).rejects.toMatchObject({
        code: 'MODEM_READBACK_MISMATCH',
        details: expect.objectContaining({ expected: written.sha256.toUpperCase() }),
      });
    } finally {
      await modem.at.close();
    }
  });
});
