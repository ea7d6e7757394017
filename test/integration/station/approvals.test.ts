// Approvals: each enrollee's ID and pet name forwarded to a webhook (a real HTTP server on
// loopback) — given names kept, others made up and unique; queued while the sink is down, sent by
// the next sync, dropped on the record once expired.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { PtySimulator } from '../../../main/devices/nrf91-sim/pty-host';
import { PET_NAME } from '../../../main/station/approvals/pet-names';
import { runEnroller } from '../../helpers/cli';
import { ptyModems } from '../../helpers/pty';
import { tempDir } from '../../helpers/station';

const sims: PtySimulator[] = [];
afterAll(async () => {
  await Promise.all(sims.map((s) => s.close()));
});

function webhook(port = 0) {
  const received: Array<Record<string, unknown>> = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push(JSON.parse(body) as Record<string, unknown>);
      res.writeHead(204).end();
    });
  });
  return new Promise<{ url: string; port: number; received: typeof received; close(): Promise<void> }>((resolve) =>
    server.listen(port, '127.0.0.1', () => {
      const actual = (server.address() as AddressInfo).port;
      resolve({
        url: `http://127.0.0.1:${actual}/approvals`,
        port: actual,
        received,
        close: () => new Promise((r) => server.close(() => r())),
      });
    }),
  );
}

describe('approvals', () => {
  it('forwards ID and pet name per device, queues them while the sink is down, expires unsent ones', async () => {
    const dir = tempDir();
    const pass = path.join(tempDir(), 'pass');
    fs.writeFileSync(pass, 'approvals passphrase');
    await runEnroller(dir, 'ca', 'init', '--passphrase-file', pass);
    const hook = await webhook();
    expect((await runEnroller(dir, 'approvals', 'sink', '--webhook', hook.url)).code).toBe(0);
    sims.push(...(await ptyModems(4, { baudRate: 115200, keygenDelayMs: 50 })));
    const [a, b, c, d] = sims as [PtySimulator, PtySimulator, PtySimulator, PtySimulator];

    const first = await runEnroller(
      dir,
      'provision',
      '--port',
      a.hostPath,
      '--port',
      b.hostPath,
      '--pet-name',
      `${a.hostPath}=Line3-Unit7`,
      '--device-type',
      'nrf91-default',
      '--passphrase-file',
      pass,
    );
    expect(first.code).toBe(0);
    const byPort = Object.fromEntries(first.lines.map((l) => [l.port, l]));
    expect(byPort[a.hostPath]).toMatchObject({ petName: 'line3-unit7' });
    expect(String(byPort[b.hostPath]!.petName)).toMatch(PET_NAME);
    expect(hook.received.map((r) => [r.deviceId, r.petName]).sort()).toEqual(
      first.lines.map((l) => [l.deviceId, l.petName]).sort(),
    );
    expect(hook.received[0]).toMatchObject({
      imei: expect.stringMatching(/^\d{15}$/),
      deviceType: 'nrf91-default',
      operator: 'cli',
    });
    // A pet name belongs to one device.
    const clash = await runEnroller(
      dir,
      'provision',
      '--port',
      c.hostPath,
      '--pet-name',
      `${c.hostPath}=line3-unit7`,
      '--device-type',
      'nrf91-default',
      '--passphrase-file',
      pass,
    );
    expect(clash.lines[0]).toMatchObject({ status: 'failed', code: 'APPROVAL_INVALID' });

    // Sink down: the approvals wait in the outbox; the next sync sends them.
    const port = hook.port;
    await hook.close();
    const offline = await runEnroller(
      dir,
      'provision',
      '--port',
      c.hostPath,
      '--port',
      d.hostPath,
      '--device-type',
      'nrf91-default',
      '--passphrase-file',
      pass,
    );
    expect(offline.code).toBe(0); // the devices do not wait for the sink
    expect((await runEnroller(dir, 'approvals', 'list')).lines.filter((l) => l.status === 'pending')).toHaveLength(2);
    const back = await webhook(port);
    await runEnroller(dir, 'queue', 'sync');
    expect(back.received.map((r) => r.deviceId).sort()).toEqual(offline.lines.map((l) => l.deviceId).sort());
    expect((await runEnroller(dir, 'approvals', 'list')).lines.map((l) => l.status)).toEqual([
      'sent',
      'sent',
      'sent',
      'sent',
    ]);
    await back.close();

    // An approval past its expiry is not sent late: it is dropped on the record.
    const db = new Database(path.join(dir, 'station.sqlite'));
    db.prepare(
      'INSERT INTO approvals (device_id, pet_name, payload, status, created_at, expires_at) VALUES ' +
        "('nrf-000000000000000', 'old-owl', '{}', 'pending', '2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z')",
    ).run();
    db.close();
    await runEnroller(dir, 'queue', 'sync');
    expect((await runEnroller(dir, 'approvals', 'list')).lines.at(-1)).toMatchObject({
      status: 'expired',
      code: 'APPROVAL_EXPIRED',
    });
  });
});
