// Unplug in the middle of the write, plug back: the device's job resumes from its stored
// certificate and finishes. A different device plugged into the same port meanwhile is enrolled
// as itself and never given the first device's certificate. Real PTYs and serialport throughout.
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startPtySimulator, type PtySimulator } from '../../../main/devices/nrf91-sim/pty-host';
import { x509 } from '../../../main/pki/crypto';
import { Bench } from '../../../main/station/bench';
import { serialSlots } from '../../../main/station/slot-sources';
import type { Station } from '../../../main/station/station';
import { fileLogger, openTestStation, tempDir } from '../../helpers/station';

const TAG = 16842753;
const PASS = 'replug passphrase';
const open: PtySimulator[] = [];
let station: Station | undefined;
afterAll(async () => {
  await Promise.all(open.map((s) => s.close()));
  station?.close();
});

const leafIn = (sim: PtySimulator) => {
  const stored = sim.simulator.store.get(TAG, 1);
  return stored
    ? new x509.X509Certificate(stored.content.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)![0])
    : undefined;
};

describe('unplug and replug', () => {
  it('resumes the same device after an unplug mid-write; another device on that port is not taken for it', async () => {
    const simDir = tempDir('enroller-replug-');
    const plug = async (seed: string) => {
      const sim = await startPtySimulator({
        dir: simDir,
        name: 'ttySLOT1',
        seed,
        stateFile: path.join(simDir, `${seed}.nvm.json`),
        baudRate: 115200,
        keygenDelayMs: 100,
      });
      open.push(sim);
      return sim;
    };
    station = openTestStation();
    await station.ca.init({ passphrase: PASS });
    const port = path.join(simDir, 'ttySLOT1');
    const bench = new Bench(
      station,
      serialSlots(undefined, [port]),
      { deviceChanged: () => undefined, batchProgress: () => undefined },
      fileLogger(tempDir()).log,
      { reenumerationWindowMs: 1500 }, // the cable stays out: no need to wait the full window
    );
    await bench.unlock(PASS);
    const count = (sql: string, ...params: string[]) => (station!.db.prepare(sql).get(...params) as { n: number }).n;

    // Device A loses its cable as the client certificate is being written.
    const a = await plug('device-A');
    const deviceA = `nrf-${a.simulator.imei}`;
    a.simulator.inject('unplug', /^AT%CMNG=0/);
    await bench.start({ deviceType: 'nrf91-default', ports: [port] });
    const [cut] = await bench.finished();
    expect(cut).toMatchObject({ deviceId: deviceA, status: 'failed', code: 'DEVICE_DISCONNECTED' });
    const stored = station.db
      .prepare<[string], { cert_serial: string; error_step: string }>(
        'SELECT cert_serial, error_step FROM jobs WHERE device_id = ? ORDER BY id DESC LIMIT 1',
      )
      .get(deviceA)!;
    expect(stored.error_step).toBe('written');
    expect(stored.cert_serial).toBeTruthy();

    // Device B goes into the same port: enrolled as itself, with its own key and certificate.
    const b = await plug('device-B');
    const deviceB = `nrf-${b.simulator.imei}`;
    expect(deviceB).not.toBe(deviceA);
    bench.retry();
    const [second] = await bench.finished();
    expect(second).toMatchObject({ deviceId: deviceB, status: 'verified' });
    const leafB = leafIn(b)!;
    expect(leafB.subject).toBe(`CN=${deviceB}`);
    expect(leafB.serialNumber).not.toBe(stored.cert_serial);
    expect(b.simulator.store.get(TAG, 2)!.content).toContain(Buffer.from(leafB.publicKey.rawData).toString('base64'));
    await b.unplug();

    // A comes back: its job resumes with the certificate issued before the cut. Nothing new issued.
    const a2 = await plug('device-A');
    expect(a2.simulator.imei).toBe(a.simulator.imei);
    await bench.start({ deviceType: 'nrf91-default', ports: [port] });
    const [third] = await bench.finished();
    expect(third).toMatchObject({ deviceId: deviceA, status: 'verified', certSerial: stored.cert_serial });
    expect(leafIn(a2)!.serialNumber).toBe(stored.cert_serial);
    expect(count("SELECT count(*) AS n FROM audit_log WHERE action = 'csr.generated' AND subject = ?", deviceA)).toBe(
      1,
    );
    expect(count("SELECT count(*) AS n FROM certificates WHERE device_id = ? AND status = 'issued'", deviceA)).toBe(1);
    expect(count("SELECT count(*) AS n FROM certificates WHERE device_id = ? AND status = 'issued'", deviceB)).toBe(1);
  });
});
