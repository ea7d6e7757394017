// The station reads its serial ports on the main thread (devices/serial/serial-binding.ts): a
// reply is taken the moment the poller says the port is readable, not after a trip through Node's
// thread pool, where on sixteen ports it queued behind the others and behind the disk's syncs
// (#18). Proved by ordering, not by timing: with every thread of the pool held by a long job, a
// line written at the far end of a real PTY pair still arrives before the first job ends. Read
// through the pool, it could not arrive until one did.
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PortRegistry } from '../../../main/devices/serial/port-registry';
import { openSerialTransport } from '../../../main/devices/serial/serial-transport';
import type { Transport } from '../../../main/devices/transport';
import { tempDir } from '../../helpers/station';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A raw PTY pair from socat: the station's end and the far end's path. */
async function ptyPair(): Promise<{ station: string; far: string }> {
  const dir = tempDir('enroller-read-here-');
  const station = path.join(dir, 'station');
  const far = path.join(dir, 'far');
  const socat: ChildProcess = spawn('socat', [`pty,raw,echo=0,link=${station}`, `pty,raw,echo=0,link=${far}`]);
  cleanups.push(() => {
    socat.kill('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  });
  for (let i = 0; i < 500 && !(fs.existsSync(station) && fs.existsSync(far)); i++)
    await new Promise((r) => setTimeout(r, 10));
  return { station, far };
}

/** Resolves with the first bytes the transport hands over. */
function firstData(transport: Transport): Promise<string> {
  return new Promise((resolve) => {
    const stop = transport.onData((chunk) => {
      stop();
      resolve(Buffer.from(chunk).toString());
    });
  });
}

describe('a serial port read on the main thread', () => {
  it("takes a reply while every thread of Node's pool is busy", async () => {
    const { station, far } = await ptyPair();
    const transport = await openSerialTransport(station, new PortRegistry(), { owner: 'test' });
    cleanups.push(() => transport.close());
    const farEnd = fs.openSync(far, 'r+');
    cleanups.push(() => fs.closeSync(farEnd));
    const arrived = firstData(transport);

    // Every thread of the pool on a job that takes seconds (PBKDF2 runs on the pool).
    const threads = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
    const events: string[] = [];
    const jobs = Array.from(
      { length: threads },
      () =>
        new Promise<void>((resolve) =>
          crypto.pbkdf2('pool', 'held', 3_000_000, 32, 'sha256', () => {
            events.push('pool job done');
            resolve();
          }),
        ),
    );
    // Written without the pool (a synchronous write from this thread), at the PTY's far end.
    fs.writeSync(farEnd, 'OK\r\n');
    const line = await arrived;
    events.push('reply read');
    await Promise.all(jobs);

    expect(line).toBe('OK\r\n');
    expect(events[0]).toBe('reply read');
  }, 120_000);
});
