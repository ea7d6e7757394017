// Simulated modems inside the station process (`enroller serve --simulate N`, `npm start`): each
// "plug" wires a fresh in-process link to a simulator with the same seed and the same NVM file,
// so a device keeps its identity and its stored credentials across replugs, like hardware.
import path from 'node:path';
import { EnrollerError } from '../../../shared/errors';
import { createMemoryPair } from '../memory-pair';
import type { Transport } from '../transport';
import { simIdentity } from './identity';
import { Nrf91Simulator, type Fault, type SimulatorOptions } from './simulator';

export interface InProcessModem {
  readonly port: string;
  readonly imei: string;
  /** The simulator of the current plug, if one is attached. */
  current(): Nrf91Simulator | undefined;
  /** Plugs the modem in: a new link to it, for the station to open. */
  plug(): Transport;
  /** The next command matching `when` (default: any) meets this fault. */
  inject(fault: Fault, when?: RegExp): void;
}

export function inProcessModems(
  count: number,
  options: {
    dir: string;
    keygenDelayMs?: number;
    baudRate?: number;
    seedPrefix?: string;
    /** How long a `reenumerate` fault keeps the modem off the bus. */
    reenumerateGapMs?: number;
  },
): InProcessModem[] {
  return Array.from({ length: count }, (_, i) => {
    const seed = `${options.seedPrefix ?? 'demo'}-${i + 1}`;
    const simOptions: SimulatorOptions = {
      seed,
      stateFile: path.join(options.dir, `${seed}.json`),
      keygenDelayMs: options.keygenDelayMs ?? 300,
      baudRate: options.baudRate ?? 0,
    };
    let sim: Nrf91Simulator | undefined;
    const pending: Array<{ fault: Fault; when: RegExp | undefined }> = [];
    const imei = simIdentity(seed).imei;
    const port = `sim-${i + 1}`;
    /** Off the bus until then (a re-enumeration); it comes back rebooted, banner first. */
    let awayUntil = 0;
    let rebooted = false;
    return {
      port,
      imei,
      current: () => sim,
      plug() {
        if (Date.now() < awayUntil)
          throw new EnrollerError('DEVICE_PORT_OPEN_FAILED', `${port} is not on the bus right now.`, { port });
        const [host, device] = createMemoryPair(port);
        const reenumerate = () => {
          awayUntil = Date.now() + (options.reenumerateGapMs ?? 500);
          rebooted = true;
          void device.close();
        };
        sim = new Nrf91Simulator(device, { ...simOptions, bootBanner: rebooted, onReenumerate: reenumerate });
        rebooted = false;
        for (const f of pending.splice(0)) sim.inject(f.fault, f.when);
        return host;
      },
      inject(fault, when) {
        pending.push({ fault, when });
      },
    };
  });
}
