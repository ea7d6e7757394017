// The credential operations against the in-process simulator: the whole sequence, and the
// modem's refusals mapped to coded errors.
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CredentialType, sha256Hex } from '../../../main/devices/nrf91/modem';
import { memoryModem, samplePem } from '../../helpers/modem';

const TAG = 16842753;

describe('nRF91 credential operations (in-process simulator)', () => {
  it('identifies, goes offline, generates a key with evidence, writes, lists, restores CFUN', async () => {
    const { modem, sim } = memoryModem();
    await modem.connect();
    const identity = await modem.identify();
    expect(identity.imei).toBe(sim.imei);
    expect(identity.firmware).toMatchObject({ major: 2, minor: 0, patch: 2 });
    expect(identity.deviceUuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

    await modem.setFunctionalMode(1);
    const result = await modem.withOffline(async () => {
      expect(await modem.functionalMode()).toBe(4);
      const key = await modem.generateKey(TAG, `CN=nrf-${identity.imei}`, identity.deviceUuid);
      expect(key.csr.subject).toBe(`CN=nrf-${identity.imei}`);
      expect(key.evidence).toMatchObject({ messageType: 9, secTag: TAG, deviceUuid: identity.deviceUuid });
      // The quirk is real: the modem's bytes differ from the normalised CSR.
      expect(Buffer.from(key.rawCsr).equals(Buffer.from(key.csr.der))).toBe(false);
      const ca = await samplePem('Floor Root');
      const client = await samplePem('Client');
      const writtenCa = await modem.write(TAG, CredentialType.rootCa, ca.replace(/\n/g, '\r\n'), { deleteFirst: true });
      const writtenClient = await modem.write(TAG, CredentialType.clientCert, client, { deleteFirst: true });
      expect(writtenCa.sent).not.toContain('\r');
      await modem.verifyStored(TAG, CredentialType.rootCa, writtenCa.sha256);
      await modem.verifyStored(TAG, CredentialType.clientCert, writtenClient.sha256);
      const list = await modem.list(TAG);
      expect(list.map((e) => e.type)).toEqual([0, 1, 2]);
      expect(list[0]?.sha256).toBe(crypto.createHash('sha256').update(writtenCa.sent).digest('hex').toUpperCase());
      return 'done';
    });
    expect(result).toBe('done');
    expect(await modem.functionalMode()).toBe(1);
  });

  it('maps the modem refusals to coded errors with plain sentences', async () => {
    const { modem } = memoryModem();
    await modem.connect();
    await modem.setFunctionalMode(1);
    await expect(modem.write(TAG, 0, await samplePem())).rejects.toMatchObject({
      code: 'MODEM_ONLINE',
      message: expect.stringContaining('offline'),
    });
    await modem.setFunctionalMode(4);
    expect(await modem.delete(TAG, 1)).toBe(false); // 513 is "already absent"
    await expect(modem.at.command(`AT%CMNG=2,${TAG},2`)).rejects.toMatchObject({ code: 'MODEM_NO_ACCESS' });
    await expect(modem.write(TAG, 1, 'HONKHONK')).rejects.toMatchObject({ code: 'MODEM_INVALID_CONTENT' });
    await expect(modem.write(TAG, 1, 'has "quotes"')).rejects.toMatchObject({ code: 'MODEM_CONTENT_NOT_WRITABLE' });
    await modem.generateKey(TAG, 'CN=a', undefined);
    await expect(modem.at.command(`AT%KEYGEN=${TAG},2,0,"CN=b"`)).rejects.toMatchObject({
      code: 'MODEM_ALREADY_EXISTS',
    });
    // generateKey deletes first, so a second run on an occupied tag succeeds.
    await expect(modem.generateKey(TAG, 'CN=b', undefined)).resolves.toMatchObject({ csr: { subject: 'CN=b' } });
    await expect(modem.at.command('AT+NOSUCH')).rejects.toMatchObject({ code: 'MODEM_ERROR' });
  });

  it('sets a rebooted modem up again (CMEE, offline) so errors keep their codes', async () => {
    const { modem, sim } = memoryModem({ bootCfun: 1 });
    await modem.connect();
    const recoveries: unknown[] = [];
    modem.link.on('recovered', (r) => recoveries.push(r));
    await modem.withOffline(async () => {
      sim.reboot(); // between two commands: the banner alone says so
      await new Promise((r) => setTimeout(r, 20));
      expect(sim.functionalMode).toBe(1);
      expect(await modem.delete(7, 1)).toBe(false); // 513, coded again: not a bare ERROR
      expect(sim.functionalMode).toBe(4); // taken offline again before the delete
    });
    // Nothing failed (set up before the next command), and the restart is on record once.
    expect(recoveries).toEqual([{ kind: 'restarted', command: 'AT%CMNG=3', cause: 'DEVICE_RESET' }]);
  });

  it('recovers a modem left inside an open quote by a host that died mid-write', async () => {
    const { modem, host, sim } = memoryModem();
    await modem.connect();
    await modem.setFunctionalMode(4);
    // What a killed station leaves behind: half a %CMNG write, the quote never closed.
    await host.write(Buffer.from('AT%CMNG=0,16842753,1,"-----BEGIN CERTIFICATE-----\nMIIB'));
    const { AtClient } = await import('../../../main/devices/nrf91/at-client');
    const { Nrf91Modem } = await import('../../../main/devices/nrf91/modem');
    const { fileLogger, tempDir } = await import('../../helpers/station');
    const fresh = new Nrf91Modem(new AtClient(host, fileLogger(tempDir()).log), fileLogger(tempDir()).log);
    await fresh.connect();
    expect(await fresh.list(16842753)).toEqual(expect.any(Array));
    expect(sim.functionalMode).toBe(4);
  }, 20_000);

  it('reports a write that the modem stored differently', async () => {
    const { modem } = memoryModem();
    await modem.connect();
    await modem.setFunctionalMode(4);
    const { sha256 } = await modem.write(TAG, 0, await samplePem());
    await expect(modem.verifyStored(TAG, 0, sha256Hex('something else'))).rejects.toMatchObject({
      code: 'MODEM_READBACK_MISMATCH',
    });
    await expect(modem.verifyStored(TAG, 0, sha256)).resolves.toBeUndefined();
    await expect(modem.verifyStored(TAG + 1, 0, sha256)).rejects.toMatchObject({ code: 'MODEM_READBACK_MISMATCH' });
  });
});

describe('line termination builds', () => {
  it.each(['CR', 'LF', 'CRLF'] as const)('a host sending CRLF talks to a %s firmware build', async (termination) => {
    const { modem, sim } = memoryModem({ termination });
    await modem.connect();
    expect((await modem.identify()).imei).toBe(sim.imei);
    await modem.setFunctionalMode(4);
    const { sha256 } = await modem.write(TAG, 0, await samplePem());
    await modem.verifyStored(TAG, 0, sha256);
  });
});
