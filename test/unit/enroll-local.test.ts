// The local CA through the Enroller interface: same shape as EST/SCEP, idempotent per CSR.
import { describe, expect, it } from 'vitest';
import { LocalEnroller } from '../../main/enroll/local/local-enroller';
import { makeCsr } from './../helpers/csr';
import { stationWithCa } from './../helpers/authority';

describe('LocalEnroller', () => {
  it('issues through the Enroller interface, the same certificate for the same CSR, and never pends', async () => {
    const { station, authority, nrf91 } = await stationWithCa();
    const enroller = new LocalEnroller(authority);
    const csr = await makeCsr();
    const first = await enroller.enroll(csr, { deviceId: 'nrf-1', deviceType: nrf91 });
    const again = await enroller.enroll(csr, { deviceId: 'nrf-1', deviceType: nrf91 });
    expect(first.status).toBe('issued');
    if (first.status !== 'issued' || again.status !== 'issued') return;
    expect(first.certificate.subject).toBe('CN=nrf-1');
    expect(again.certificate.serialNumber).toBe(first.certificate.serialNumber);
    expect((await enroller.caCerts()).map((c) => c.subject)).toEqual([
      authority.issuing.subject,
      authority.root.subject,
    ]);
    await expect(enroller.poll()).rejects.toMatchObject({ code: 'ENROLL_NOT_SUPPORTED' });
    await expect(enroller.enroll(csr, { deviceId: 'nrf-1' })).rejects.toMatchObject({ code: 'DEVICE_TYPE_NOT_FOUND' });
    station.close();
  });
});
