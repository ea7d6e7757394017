// Benchmark: how fast the station UI shows a device's change on a bench of 10,000 devices.
// The real browser-mode server and dispatch serve a replayed batch (10,000 slots; every reply and
// event checked against the contract's schemas) to the real renderer in Debian Chromium. Events
// arrive at a steady rate — one in four for a tile on screen, the rest for tiles scrolled away —
// and the page measures, per on-screen event, the time from the WebSocket message to the first
// frame painted after the tile changed. The lower bound, measured in the same run and the same
// browser: a bare page that receives the same messages and changes one element per message.
// Goal: event-to-paint p95 ≤ 50 ms. Renderer memory (JS heap) and tiles in the DOM are reported.
// Run: npm run bench:ui [-- SLOTS EVENTS_PER_SECOND SECONDS]
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { chromium, type Page } from '@playwright/test';
import { WebSocketServer } from 'ws';
import { createDispatch } from '../../main/api/dispatch';
import { EventHub } from '../../main/api/events';
import type { ContractService } from '../../main/api/service';
import { startBrowserServer } from '../../main/browser/server';
import { createLogger } from '../../main/log';
import { builtinDeviceTypes, DeviceTypeDocument } from '../../shared/device-type';
import { JobStep, methodNames, type SlotState } from '../../shared/contract';
import { EnrollerError } from '../../shared/errors';

const SLOTS = Number(process.argv[2] ?? 10_000);
const RATE = Number(process.argv[3] ?? 100);
const SECONDS = Number(process.argv[4] ?? 15);
const VISIBLE = 8; // the first two rows are on screen at 1366×768
const STEPS: string[] = JobStep.options.filter((s) => s !== 'done');
const log = createLogger({ level: 'silent' });

const slots: SlotState[] = Array.from({ length: SLOTS }, (_, i) => ({
  port: `bay-${String(i + 1).padStart(5, '0')}`,
  status: 'queued',
  step: 'detected',
  attempts: 0,
}));
const at = new Date().toISOString();

/** A contract service that answers as a station in the middle of a 10,000-device batch. */
function replayService(): ContractService {
  const answers: Partial<Record<string, () => unknown>> = {
    'session:whoami': () => ({ rolesEnforced: false, factoryMode: false }),
    'ca:status': () => ({
      initialized: true,
      unlocked: true,
      root: { subject: 'CN=Bench Root', fingerprint: 'ab'.repeat(32), notAfter: at },
      issuing: { subject: 'CN=Bench Issuing', fingerprint: 'cd'.repeat(32), notAfter: at },
    }),
    'device:list': () => ({ batch: batchState(0), slots }),
    'device-type:list': () => builtinDeviceTypes.map((t) => DeviceTypeDocument.parse(t)),
    'profile:list': () => [{ name: 'local', settings: { protocol: 'local' }, secrets: [], builtin: true }],
    'queue:list': () => [],
    'keychain:status': () => ({ available: false, remembered: false }),
  };
  return Object.fromEntries(
    methodNames.map((name) => [
      name,
      () => {
        const answer = answers[name];
        if (!answer) throw new EnrollerError('CONTRACT_UNKNOWN_METHOD', `${name} is not part of the replay.`);
        return answer();
      },
    ]),
  ) as unknown as ContractService;
}

function batchState(done: number) {
  return {
    id: 'bench',
    deviceType: 'nrf91-default',
    profile: 'local',
    status: 'running' as const,
    total: SLOTS,
    counts: { queued: SLOTS - done, running: 0, paused: 0, verified: done, waiting: 0, failed: 0, cancelled: 0 },
    startedAt: at,
    devicesPerHour: 0,
  };
}

/**
 * Installed before any page script: stamps each event on arrival, and the paint after its tile
 * changed. Plain JavaScript in a string: the page must not depend on this file's compiler helpers.
 */
const probe = `(() => {
  window.__arrived = new Map();
  window.__latencies = [];
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(url, protocols) {
      super(url, protocols);
      this.addEventListener('message', (event) => {
        const message = JSON.parse(String(event.data));
        if (message.type !== 'event' || message.event !== 'device:changed' || !message.payload) return;
        window.__arrived.set(message.payload.port, { step: message.payload.step, t: performance.now() });
      });
    }
  };
  const settle = (port, step) => {
    if (!port) return;
    const arrived = window.__arrived.get(port);
    if (!arrived || arrived.step !== step) return;
    window.__arrived.delete(port);
    // rAF runs just before the frame is painted; a message posted from it runs just after.
    requestAnimationFrame(() => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => window.__latencies.push(performance.now() - arrived.t);
      channel.port2.postMessage(null);
    });
  };
  new MutationObserver((records) => {
    for (const record of records) {
      settle(record.target.getAttribute('data-port'), record.target.getAttribute('data-step'));
    }
  }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-step'] });
})();`;

async function replay(emit: (slot: SlotState) => void): Promise<void> {
  const total = RATE * SECONDS;
  const interval = 1000 / RATE;
  const start = performance.now();
  for (let n = 0; n < total; n++) {
    const index = n % 4 === 0 ? (n / 4) % VISIBLE : VISIBLE + ((n * 7919) % (SLOTS - VISIBLE));
    const slot = slots[index]!;
    const step = STEPS[(STEPS.indexOf(slot.step) + 1) % STEPS.length] as SlotState['step'];
    slots[index] = {
      ...slot,
      status: 'running',
      step,
      attempts: slot.attempts + 1,
      deviceId: `nrf-35${String(index).padStart(13, '0')}`,
      startedAt: at,
    };
    emit(slots[index]);
    const due = start + (n + 1) * interval;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  await new Promise((r) => setTimeout(r, 500));
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function heapMb(page: Page): Promise<number> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  await cdp.send('HeapProfiler.collectGarbage');
  const { metrics } = await cdp.send('Performance.getMetrics');
  await cdp.detach();
  return (metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? 0) / 1024 / 1024;
}

/** The floor: the same messages to a page that changes one element per message and does nothing else. */
async function lowerBound(page: Page): Promise<number[]> {
  const server = http.createServer((_req, res) =>
    res.end('<!doctype html><title>floor</title><div data-port="bay-00001" data-step="detected" id="t">x</div>'),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const wss = new WebSocketServer({ server });
  await page.addInitScript({ content: probe });
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.evaluate(`new Promise((resolve) => {
    const socket = new WebSocket('ws://127.0.0.1:${port}/');
    const tile = document.getElementById('t');
    socket.addEventListener('message', (event) => {
      const message = JSON.parse(String(event.data));
      tile.setAttribute('data-port', message.payload.port);
      tile.setAttribute('data-step', message.payload.step);
    });
    socket.addEventListener('open', resolve);
  })`);
  const [client] = [...wss.clients];
  await replay((slot) => {
    if (slots.indexOf(slot) < VISIBLE)
      client!.send(JSON.stringify({ type: 'event', event: 'device:changed', payload: slot }));
  });
  const latencies = (await page.evaluate('window.__latencies')) as number[];
  wss.close();
  server.close();
  return latencies;
}

const chromiumPath =
  process.env.CHROMIUM_PATH ?? execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();
const browser = await chromium.launch({
  executablePath: chromiumPath,
  args: ['--disable-gpu', '--no-first-run', '--enable-precise-memory-info'],
});
try {
  const hub = new EventHub();
  const server = await startBrowserServer({
    dispatch: createDispatch(replayService(), log),
    events: hub,
    rendererDir: path.resolve(import.meta.dirname, '../../out/renderer'),
    log,
  });
  const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.addInitScript({ content: probe });
  const loadStart = performance.now();
  await page.goto(server.url);
  await page.locator(`[data-testid="bench"][data-slot-count="${SLOTS}"]`).waitFor();
  await page.locator('[data-testid="slot"]').first().waitFor();
  const loadMs = performance.now() - loadStart;
  const heapLoaded = await heapMb(page);
  let done = 0;
  await replay((slot) => {
    hub.emit('device:changed', slot);
    if (slot.step === 'verified') hub.emit('batch:progress', batchState(++done % SLOTS));
  });
  const app = (await page.evaluate('window.__latencies')) as number[];
  const heapAfter = await heapMb(page);
  const tilesInDom = await page.locator('[data-testid="slot"]').count();
  await server.close();
  if (pageErrors.length) throw new Error(`page errors: ${pageErrors.join('; ')}`);

  const floor = await lowerBound(await browser.newPage({ viewport: { width: 1366, height: 768 } }));
  const row = (name: string, values: number[]) =>
    [
      name.padEnd(26),
      String(values.length).padStart(6),
      ...[percentile(values, 50), percentile(values, 95), Math.max(...values)].map((v) => v.toFixed(1).padStart(8)),
    ].join(' ');
  console.log(
    `UI event-to-paint: ${SLOTS} slots, ${RATE} events/s for ${SECONDS} s (1 in 4 on screen), 1366×768, Chromium ` +
      `${browser.version()}`,
  );
  console.log(
    `${'page'.padEnd(26)} ${'events'.padStart(6)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)} ` +
      `${'max ms'.padStart(8)}`,
  );
  console.log(row('station UI', app));
  console.log(row('lower bound (bare page)', floor));
  const p95 = percentile(app, 95);
  console.log(
    `ratio p95 ÷ lower bound p95: ${(p95 / percentile(floor, 95)).toFixed(2)}   goal p95 ≤ 50 ms: ` +
      `${p95 <= 50 ? 'met' : 'NOT met'} (${p95.toFixed(1)} ms)`,
  );
  console.log(
    `first paint of ${SLOTS} slots: ${loadMs.toFixed(0)} ms; tiles in the DOM: ${tilesInDom} of ${SLOTS}; JS heap: ` +
      `${heapLoaded.toFixed(1)} MB loaded, ${heapAfter.toFixed(1)} MB after ${RATE * SECONDS} events`,
  );
  if (app.length < ((RATE * SECONDS) / 4) * 0.9)
    throw new Error(`only ${app.length} on-screen events were seen painted`);
} finally {
  await browser.close();
}
