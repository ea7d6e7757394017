// A certificate a remote service issued cannot be revoked by the station (#19): `revoke` says so
// with a code, `device disable` records a request for the service's operator instead (once per
// certificate, on the audit record), and `export --format revocation-requests` hands it over.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { webcrypto, x509 } from '../../../main/pki/crypto';
import { DeviceLifecycle } from '../../../main/station/lifecycle/device-lifecycle';
import { formatRows, LIFECYCLE_COLUMNS, lifecycleRows } from '../../../main/station/lifecycle/lifecycle-exports';
import { AuditLog, verifyAuditChain } from '../../../main/store/audit-log';
import { openDatabase } from '../../../main/store/database';
import { DeviceRecords } from '../../../main/store/device-records';
import { JobStore } from '../../../main/store/job-store';
import { Revocations } from '../../../main/store/revocations';
import { tempDir } from '../../helpers/station';

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** A device that a remote service (here: some other CA) enrolled: its job is done with that certificate. */
async function enrolledByService(jobs: JobStore, deviceId: string) {
  const keys = (await webcrypto.subtle.generateKey(EC, false, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '0a1b2c3d',
    name: `CN=${deviceId}, O=Service CA`,
    keys: keys as never,
    signingAlgorithm: EC,
    notAfter: new Date(Date.now() + 10 * 86_400_000),
  });
  const newJob = { port: 'p', deviceType: 'nrf91-default', profile: 'est-line', deviceId };
  const job = jobs.start(newJob, ['identified', 'approved'], {}, () =>
    jobs.upsertDevice({ deviceId, deviceType: 'nrf91-default' }),
  );
  jobs.advance(job.id, 'csr', { csrDer: new Uint8Array([0x30, 0x00]) });
  const result = { certSerial: cert.serialNumber, certIssuer: cert.issuer, certDer: new Uint8Array(cert.rawData) };
  jobs.advance(job.id, 'enrolled', result);
  jobs.advance(job.id, ['written', 'verified', 'done'], {}, () =>
    jobs.upsertDevice({ deviceId, deviceType: 'nrf91-default', mode: 'OPERATIONAL' }),
  );
  return cert;
}

describe('certificates from a remote service', () => {
  it('are not revoked here: a request for the service is recorded and exported', async () => {
    const db = openDatabase(path.join(tempDir(), 'station.sqlite'));
    const audit = new AuditLog(db);
    const jobs = new JobStore(db);
    const cert = await enrolledByService(jobs, 'nrf-1');
    const revocations = new Revocations(db, audit);

    expect(() => revocations.revoke(cert.serialNumber, 1, 'sam')).toThrow(
      expect.objectContaining({ code: 'REVOKE_NOT_STATION_ISSUED' }),
    );
    expect(new DeviceRecords(db).certificates('nrf-1')).toEqual([
      expect.objectContaining({ serial: cert.serialNumber, status: 'issued-by-service', profile: 'est-line' }),
    ]);

    const result = new DeviceLifecycle(db, audit).disable('nrf-1', 'stolen from the line', 'keyCompromise', 'sam');
    expect(result).toEqual({ deviceId: 'nrf-1', mode: 'DISABLED', revoked: [], requested: [cert.serialNumber] });
    expect(new DeviceRecords(db).certificates('nrf-1')[0]).toMatchObject({
      status: 'revocation-requested',
      reason: 'keyCompromise',
    });
    // Asked once per certificate: superseding it later adds nothing.
    expect(
      revocations.request(
        { deviceId: 'nrf-1', serial: cert.serialNumber, issuer: cert.issuer, profile: null },
        4,
        'again',
        'sam',
      ),
    ).toBe(false);

    const rows = lifecycleRows(db, audit, 'revocation-requests');
    expect(rows).toEqual([
      expect.objectContaining({
        deviceId: 'nrf-1',
        serial: cert.serialNumber,
        issuer: cert.issuer,
        profile: 'est-line',
        reason: 'keyCompromise',
        note: 'stolen from the line',
        requestedBy: 'sam',
      }),
    ]);
    const csv = formatRows(rows, LIFECYCLE_COLUMNS['revocation-requests'], false).split('\r\n');
    expect(csv[0]).toBe('deviceId,serial,issuer,profile,reason,note,requestedBy,requestedAt');
    expect(csv[1]).toContain(`nrf-1,${cert.serialNumber},"${cert.issuer}",est-line,keyCompromise`);

    // It expires within 30 days, and shows as the service's certificate of a disabled device.
    expect(lifecycleRows(db, audit, 'expiring', { withinDays: 30 })).toEqual([]); // requested: no longer live
    const actions = audit.entries().map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['revocation.requested', 'device.disabled']));
    expect(verifyAuditChain(db).ok).toBe(true);
    db.close();
  });

  it('expiring lists a live service certificate with its profile and mode', async () => {
    const db = openDatabase(path.join(tempDir(), 'station.sqlite'));
    const audit = new AuditLog(db);
    const cert = await enrolledByService(new JobStore(db), 'nrf-2');
    expect(lifecycleRows(db, audit, 'expiring', { withinDays: 5 })).toEqual([]);
    expect(lifecycleRows(db, audit, 'expiring', { withinDays: 30 })).toEqual([
      {
        deviceId: 'nrf-2',
        serial: cert.serialNumber,
        notAfter: cert.notAfter.toISOString(),
        profile: 'est-line',
        mode: 'OPERATIONAL',
      },
    ]);
    db.close();
  });
});
