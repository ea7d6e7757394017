// Puts a simulated modem behind a real pseudo-terminal pair (socat), so the station reaches it
// through serialport exactly as it reaches a USB modem. Linux and macOS (socat installed).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { EnrollerError } from '../../../shared/errors';
import { PortRegistry } from '../serial/port-registry';
import { openSerialTransport } from '../serial/serial-transport';
import type { Transport } from '../transport';
import { Nrf91Simulator, type SimulatorOptions } from './simulator';

export interface PtySimulator {
  /** The path the station opens, like /dev/ttyACM0. */
  readonly hostPath: string;
  readonly simulator: Nrf91Simulator;
  /** Pulls the cable: the PTY pair disappears. */
  unplug(): Promise<void>;
  /** The device drops off the bus and comes back at the same path after `gapMs`, rebooted. */
  reenumerate(gapMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface PtySimulatorOptions extends SimulatorOptions {
  /** Folder for the PTY links (and the modem's credential file, unless given). */
  readonly dir: string;
  /** Link name for the station's end; defaults to `ttyNRF-<seed>`. */
  readonly name?: string;
  /** How long a `reenumerate` fault keeps the port away. */
  readonly reenumerateGapMs?: number;
}

const simulatorPorts = new PortRegistry();

export async function startPtySimulator(options: PtySimulatorOptions): Promise<PtySimulator> {
  fs.mkdirSync(options.dir, { recursive: true });
  const name = options.name ?? `ttyNRF-${options.seed}`;
  const hostPath = path.join(options.dir, name);
  const devicePath = path.join(options.dir, `.${name}.device`);
  let link = await ptyPair(hostPath, devicePath, options.seed);
  let closed = false;
  const reenumerate = async (gapMs = options.reenumerateGapMs ?? 500) => {
    await link.stop();
    await new Promise((r) => setTimeout(r, gapMs));
    if (closed) return;
    link = await ptyPair(hostPath, devicePath, options.seed);
    simulator.attach(link.transport);
  };
  const simulator = new Nrf91Simulator(link.transport, {
    stateFile: path.join(options.dir, `${name}.nvm.json`),
    onReenumerate: () => void reenumerate(),
    ...options,
  });
  const stop = async () => {
    closed = true;
    simulator.detach();
    await link.stop();
  };
  return { hostPath, simulator, unplug: stop, close: stop, reenumerate };
}

/** One socat PTY pair and the device end opened: what a USB device's presence on the bus is here. */
async function ptyPair(
  hostPath: string,
  devicePath: string,
  seed: string,
): Promise<{ transport: Transport; stop: () => Promise<void> }> {
  for (const link of [hostPath, devicePath]) fs.rmSync(link, { force: true });
  const socat = spawn('socat', [`pty,raw,echo=0,link=${hostPath}`, `pty,raw,echo=0,link=${devicePath}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let socatError = '';
  socat.stderr?.on('data', (d: Buffer) => (socatError += d.toString()));
  const spawnFailed = new Promise<never>((_, reject) =>
    socat.once('error', (error) =>
      reject(
        new EnrollerError(
          'DEVICE_PORT_OPEN_FAILED',
          `Could not start socat for the simulator (${error.message}). Install it: apt-get install socat`,
        ),
      ),
    ),
  );
  await Promise.race([waitForLinks([hostPath, devicePath], socat, () => socatError), spawnFailed]);
  const transport = await openSerialTransport(devicePath, simulatorPorts, { owner: `simulator ${seed}` });
  // The simulator closing its end (an injected unplug) pulls the whole cable, as on a real bench.
  transport.onClose(() => void killAndWait(socat));
  const stop = async () => {
    await transport.close().catch(() => undefined);
    await killAndWait(socat);
  };
  return { transport, stop };
}

async function waitForLinks(links: string[], socat: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!links.every((l) => fs.existsSync(l))) {
    if (socat.exitCode !== null) throw new EnrollerError('DEVICE_PORT_OPEN_FAILED', `socat exited: ${stderr().trim()}`);
    if (Date.now() > deadline)
      throw new EnrollerError('DEVICE_PORT_OPEN_FAILED', 'socat did not create the PTY pair within 5 s.');
    await new Promise((r) => setTimeout(r, 10));
  }
}

function killAndWait(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
