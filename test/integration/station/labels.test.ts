// Labels on the real parts: a socat listener on 127.0.0.1 stands for a network label printer (raw
// ZPL on a TCP port) and captures what the station sends after each device is enrolled; the
// preview's barcode decodes back with Debian's zbarimg; a printer that is down costs a label,
// never a device.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SlotState } from '../../../shared/contract';
import { createDispatch } from '../../../main/api/dispatch';
import { benchEventsTo, EventHub } from '../../../main/api/events';
import { createStationService } from '../../../main/api/station-service';
import { inProcessModems } from '../../../main/devices/nrf91-sim/memory-host';
import { Bench } from '../../../main/station/bench';
import { simulatedSlots } from '../../../main/station/slot-sources';
import type { Station } from '../../../main/station/station';
import { fileLogger, openTestStation, tempDir } from '../../helpers/station';

const PASS = 'labels test passphrase';
let station: Station | undefined;
let printer: ChildProcess | undefined;
afterEach(() => {
  printer?.kill();
  station?.close();
});

async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

/** socat as a network label printer: every connection's bytes appended to one file. */
async function socatPrinter(file: string): Promise<number> {
  const port = await freePort();
  printer = spawn('socat', ['-u', `TCP-LISTEN:${port},bind=127.0.0.1,reuseaddr,fork`, `OPEN:${file},creat,append`]);
  for (let i = 0; i < 100; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const probe = net.connect({ host: '127.0.0.1', port }, () => (probe.destroy(), resolve(true)));
      probe.once('error', () => resolve(false));
    });
    if (up) return port;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('socat did not listen');
}

async function setUp(count: number) {
  station = openTestStation();
  const { log } = fileLogger(tempDir());
  const modems = inProcessModems(count, { dir: tempDir(), keygenDelayMs: 0, seedPrefix: crypto.randomUUID() });
  const hub = new EventHub();
  const slots = new Map<string, SlotState>();
  hub.subscribe(
    (event, payload) => event === 'device:changed' && slots.set((payload as SlotState).port, payload as SlotState),
  );
  const bench = new Bench(station, simulatedSlots(modems), benchEventsTo(hub), log);
  const dispatch = createDispatch(createStationService(station, bench), log);
  const call = async (method: string, request: unknown = {}) => {
    const result = await dispatch(method, request, { transport: 'websocket', session: 'labels' });
    if (!result.ok) throw Object.assign(new Error(result.error.message), result.error);
    return result.value as Record<string, unknown>;
  };
  await call('ca:init', { passphrase: PASS });
  station.deviceTypes.put({ ...station.deviceTypes.get('nrf91-default'), name: 'nrf91-labelled', label: {} });
  return { bench, call, slots };
}

const audit = (action: string) =>
  station!.db.prepare<[string], { details: string }>('SELECT details FROM audit_log WHERE action = ?').all(action);

describe('labels', () => {
  it('prints each enrolled device its label over raw TCP, and a preview that scans back', async () => {
    const capture = path.join(tempDir(), 'printer.zpl');
    const port = await socatPrinter(capture);
    const { bench, call, slots } = await setUp(2);
    await call('printer:set', { printer: { kind: 'tcp', host: '127.0.0.1', port } });
    await call('batch:start', { deviceType: 'nrf91-labelled', petNames: { 'sim-1': 'amber-falcon' } });
    const outcomes = await bench.finished();
    expect(outcomes.map((o) => o.status)).toEqual(['verified', 'verified']);
    expect([...slots.values()].map((s) => s.label)).toEqual(['printed', 'printed']);
    expect(audit('label.printed')).toHaveLength(2);

    await expect
      .poll(() => (fs.existsSync(capture) ? fs.readFileSync(capture, 'utf8') : ''))
      .toMatch(/\^XZ[\s\S]*\^XZ/);
    const zpl = fs.readFileSync(capture, 'utf8');
    for (const { deviceId } of outcomes) expect(zpl).toContain(`^FDQA,${deviceId}^FS`);
    expect(zpl).toContain('^FDamber-falcon^FS');
    expect(zpl).toMatch(/\^FDIMEI \d{15}\^FS/);

    // The preview of the first device: its barcode, decoded by an independent reader, is its ID.
    const deviceId = outcomes[0]!.deviceId!;
    const preview = await call('label:preview', { deviceType: 'nrf91-labelled', deviceId });
    expect(preview.lines).toEqual(expect.arrayContaining(['amber-falcon', deviceId]));
    const png = path.join(tempDir(), 'label.png');
    fs.writeFileSync(png, Buffer.from(preview.png as string, 'base64'));
    const read = execFileSync('zbarimg', ['--raw', '-q', png], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    expect(read.trim()).toBe(deviceId);

    // A reprint asked for by a person goes out too.
    await expect(call('label:print', { deviceType: 'nrf91-labelled', deviceId })).resolves.toEqual({ printed: true });
    expect(audit('label.printed')).toHaveLength(3);
  });

  it('a printer that is down costs the label, not the device; a person asking is told why', async () => {
    const { bench, call, slots } = await setUp(1);
    await expect(call('label:print', { deviceType: 'nrf91-labelled' })).rejects.toMatchObject({
      code: 'LABEL_PRINT_FAILED',
      message: expect.stringContaining('No label printer'),
    });
    await call('printer:set', { printer: { kind: 'tcp', host: '127.0.0.1', port: await freePort() } });
    await call('batch:start', { deviceType: 'nrf91-labelled' });
    const [outcome] = await bench.finished();
    expect(outcome).toMatchObject({ status: 'verified', label: 'failed' });
    expect(slots.get('sim-1')).toMatchObject({ status: 'verified', label: 'failed' });
    const [failed] = audit('label.failed');
    expect(JSON.parse(failed!.details)).toMatchObject({ code: 'LABEL_PRINTER_UNREACHABLE' });
    await expect(call('label:print', { deviceType: 'nrf91-labelled' })).rejects.toMatchObject({
      code: 'LABEL_PRINTER_UNREACHABLE',
    });
  });
});
