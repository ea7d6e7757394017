// The fault matrix: one batch on the real bench, each slot a simulated modem behind a real PTY
// (socat, serialport) with its own fault or firmware variant. Every device ends verified, or failed
// within its deadline with a stable code; every recovery is on the audit record and on the tile;
// no CSR or certificate lands on the wrong device, and no change is sent twice where a read-back
// showed it had taken.
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SlotState } from '../../../shared/contract';
import { benchEventsTo, EventHub } from '../../../main/api/events';
import { startPtySimulator, type PtySimulator } from '../../../main/devices/nrf91-sim/pty-host';
import type { Fault, SimulatorOptions } from '../../../main/devices/nrf91-sim/simulator';
import { x509 } from '../../../main/pki/crypto';
import { Bench } from '../../../main/station/bench';
import { serialSlots } from '../../../main/station/slot-sources';
import type { Station } from '../../../main/station/station';
import { fileLogger, openTestStation, tempDir } from '../../helpers/station';

const TAG = 16842753;
const PASS = 'link faults passphrase';
const started: PtySimulator[] = [];
let station: Station | undefined;
afterAll(async () => {
  await Promise.all(started.map((s) => s.close()));
  station?.close();
});

interface Variant {
  readonly name: string;
  readonly sim?: Partial<SimulatorOptions>;
  readonly fault?: readonly [Fault, RegExp];
  /** verified (with this recovery on record, if any), or failed with this code. */
  readonly expect: { recovery?: 'retried' | 'restarted' | 'reconnected'; readBack?: boolean } | { code: string };
  /** A command head the modem must have received exactly this many times. */
  readonly sent?: readonly [string, number];
}

const variants: Variant[] = [
  { name: 'reply to CFUN? lost', fault: ['drop-reply', /^AT\+CFUN\?/], expect: { recovery: 'retried' } },
  { name: 'reply to CGSN lost', fault: ['drop-reply', /^AT\+CGSN/], expect: { recovery: 'retried' } },
  { name: 'CGMR reply garbled', fault: ['garbage', /^AT\+CGMR/], expect: { recovery: 'retried' } },
  { name: 'CGMR answered wrongly', fault: ['wrong-answer', /^AT\+CGMR/], expect: { recovery: 'retried' } },
  { name: 'credential list late', fault: ['late-reply', /^AT%CMNG=1/], expect: { recovery: 'retried' } },
  { name: 'CGSN floods a line', fault: ['flood', /^AT\+CGSN/], expect: { recovery: 'retried' } },
  {
    name: 'KEYGEN reply lost',
    fault: ['drop-reply', /^AT%KEYGEN/],
    expect: { recovery: 'retried' },
    sent: ['AT%KEYGEN=', 2],
  },
  {
    name: 'certificate write reply lost',
    fault: ['drop-reply', /^AT%CMNG=0/],
    expect: { recovery: 'retried', readBack: true },
    sent: ['AT%CMNG=0,', 2],
  },
  { name: 'delete reply lost', fault: ['drop-reply', /^AT%CMNG=3/], expect: { recovery: 'retried', readBack: true } },
  { name: 'reboot as KEYGEN arrives', fault: ['reset', /^AT%KEYGEN/], expect: { recovery: 'restarted' } },
  {
    name: 'reboot after KEYGEN ran',
    fault: ['reset-after', /^AT%KEYGEN/],
    expect: { recovery: 'restarted' },
    sent: ['AT%KEYGEN=', 2],
  },
  {
    name: 'reboot after the write ran',
    fault: ['reset-after', /^AT%CMNG=0/],
    expect: { recovery: 'restarted', readBack: true },
    sent: ['AT%CMNG=0,', 2],
  },
  {
    name: 'brown-out, app boots online',
    sim: { bootCfun: 1 },
    fault: ['silent-reset', /^AT%CMNG=0/],
    expect: { recovery: 'restarted' },
  },
  { name: 'URC storm in KEYGEN', fault: ['urc-storm', /^AT%KEYGEN/], expect: {} },
  { name: 'KEYGEN reply split', fault: ['split', /^AT%KEYGEN/], expect: {} },
  { name: 'slow CGMR', fault: ['slow', /^AT\+CGMR/], expect: {} },
  { name: 'echo on', sim: { echo: true }, expect: {} },
  { name: 'LF-terminated build', sim: { termination: 'LF' }, expect: {} },
  { name: 'CRLF-terminated build', sim: { termination: 'CRLF' }, expect: {} },
  { name: 'nRF9160, mfw 1.3.5', sim: { firmware: 'mfw_nrf9160_1.3.5' }, expect: {} },
  // A kit that resets as its port opens: the first AT meets the reboot (connect tries again).
  { name: 'resets when opened', fault: ['reset', /^AT$/], expect: {} },
  { name: 'falls off USB and back', fault: ['reenumerate', /^AT%CMNG=0/], expect: { recovery: 'reconnected' } },
  { name: 'cable pulled for good', fault: ['unplug', /^AT%CMNG=0/], expect: { code: 'DEVICE_DISCONNECTED' } },
  { name: 'firmware too old', sim: { firmware: 'mfw_nrf9160_1.2.3' }, expect: { code: 'MODEM_FIRMWARE_TOO_OLD' } },
];

const leafIn = (sim: PtySimulator) => {
  const pem = sim.simulator.store
    .get(TAG, 1)
    ?.content.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERT\w+-----/);
  return pem ? new x509.X509Certificate(pem[0]) : undefined;
};

describe('link recovery: the fault matrix on real PTYs', () => {
  it('ends every variant verified or coded, on the right device, with each recovery on record', async () => {
    const dir = tempDir('enroller-links-');
    const sims = await Promise.all(
      variants.map((v, i) =>
        startPtySimulator({ dir, name: `ttyLINK${i}`, seed: `link-${path.basename(dir)}-${i}`, ...v.sim }),
      ),
    );
    started.push(...sims);
    variants.forEach((v, i) => v.fault && sims[i]!.simulator.inject(...v.fault));
    station = openTestStation();
    await station.ca.init({ passphrase: PASS });
    const hub = new EventHub();
    const tiles = new Map<string, SlotState>();
    hub.subscribe((event, payload) => {
      if (event === 'device:changed') tiles.set((payload as SlotState).port, payload as SlotState);
    });
    const ports = sims.map((s) => s.hostPath);
    const bench = new Bench(station, serialSlots(undefined, ports), benchEventsTo(hub), fileLogger(tempDir()).log);
    await bench.unlock(PASS);
    await bench.start({ deviceType: 'nrf91-default', ports });
    const outcomes = await bench.finished();

    const recoveries = station.db.prepare<[string], { details: string }>(
      "SELECT details FROM audit_log WHERE action = 'device.link-recovered' AND json_extract(details, '$.port') = ?",
    );
    variants.forEach((variant, i) => {
      const sim = sims[i]!;
      const outcome = outcomes.find((o) => o.port === sim.hostPath)!;
      const tile = tiles.get(sim.hostPath)!;
      const said = `${variant.name}: ${outcome.status} ${outcome.code ?? ''} ${outcome.message ?? ''}`;
      const onRecord = recoveries.all(sim.hostPath).map((r) => JSON.parse(r.details) as Record<string, unknown>);
      if ('code' in variant.expect) {
        expect(outcome.status, said).toBe('failed');
        expect(outcome.code, said).toBe(variant.expect.code);
        expect(leafIn(sim), `${variant.name}: nothing written`).toBeUndefined();
        return;
      }
      expect(outcome.status, said).toBe('verified');
      // The certificate in this modem names this modem and carries the key this modem holds.
      const leaf = leafIn(sim)!;
      expect(leaf.subject, variant.name).toBe(`CN=nrf-${sim.simulator.imei}`);
      const spki = Buffer.from(leaf.publicKey.rawData).toString('base64');
      for (const other of sims) {
        const key = other.simulator.store.get(TAG, 2)?.content ?? '';
        expect(key.replace(/\n/g, '').includes(spki), variant.name).toBe(other === sim);
      }
      const { recovery, readBack } = variant.expect;
      if (recovery) {
        expect(
          onRecord.map((r) => r.kind),
          said,
        ).toContain(recovery);
        expect(tile.recoveries?.length, `${variant.name}: the tile says so`).toBeGreaterThan(0);
      } else {
        expect(onRecord, `${variant.name}: nothing to recover`).toEqual([]);
      }
      if (readBack)
        expect(
          onRecord.some((r) => r.readBack === true),
          said,
        ).toBe(true);
      if (variant.sent) {
        const [head, times] = variant.sent;
        expect(sim.simulator.received.filter((c) => c.startsWith(head)).length, said).toBe(times);
      }
    });
  }, 120_000);

  it('refuses a certificate too long for the firmware AT buffer before writing anything', async () => {
    const dir = tempDir('enroller-links-buffer-');
    const sim = await startPtySimulator({ dir, name: 'ttySMALL', seed: 'small-buffer', commandBufferBytes: 1024 });
    started.push(sim);
    station?.close();
    station = openTestStation();
    await station.ca.init({ passphrase: PASS });
    const standard = station.deviceTypes.get('nrf91-default');
    station.deviceTypes.put({
      ...standard,
      name: 'nrf91-small-buffer',
      secTags: { ...standard.secTags!, commandBufferBytes: 1024 },
    });
    const events = { deviceChanged: () => undefined, batchProgress: () => undefined };
    const bench = new Bench(station, serialSlots(undefined, [sim.hostPath]), events, fileLogger(tempDir()).log);
    await bench.unlock(PASS);
    await bench.start({ deviceType: 'nrf91-small-buffer', ports: [sim.hostPath] });
    const [outcome] = await bench.finished();
    expect(outcome).toMatchObject({ status: 'failed', code: 'MODEM_BUFFER_TOO_SMALL' });
    expect(outcome!.message).toMatch(/Nothing was written/);
    expect(sim.simulator.received.filter((c) => c.startsWith('AT%CMNG=0'))).toEqual([]);
    expect([sim.simulator.store.get(TAG, 1), sim.simulator.store.get(TAG, 0)]).toEqual([undefined, undefined]);
  });
});
