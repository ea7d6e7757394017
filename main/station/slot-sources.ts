// Where a bench's slots come from: USB serial ports (Nordic kits and USB-serial jigs; rank 2
// "anything else" ports are left out — built-in UARTs are not benches), or simulated modems in
// this process for demos and tests.
import type { InProcessModem } from '../devices/nrf91-sim/memory-host';
import { listPorts } from '../devices/serial/discovery';
import { PortRegistry } from '../devices/serial/port-registry';
import { openSerialTransport } from '../devices/serial/serial-transport';
import type { SlotSource } from './bench';
import { EnrollerError } from '../../shared/errors';
import { parseTcti } from '../devices/tpm/tcti';

export function serialSlots(registry = new PortRegistry(), extraPorts: readonly string[] = []): SlotSource {
  return {
    async ports() {
      const listed = (await listPorts()).filter((p) => p.rank < 2).map((p) => p.path);
      return [...new Set([...listed, ...extraPorts])];
    },
    open: (port) => openSerialTransport(port, registry, { owner: 'bench' }),
  };
}

/** Simulated modems first, then whatever `also` (real ports) has. */
export function simulatedSlots(modems: readonly InProcessModem[], also?: SlotSource): SlotSource {
  const byPort = new Map(modems.map((m) => [m.port, m]));
  return {
    ports: async () => [...byPort.keys(), ...((await also?.ports()) ?? [])],
    async open(port) {
      const modem = byPort.get(port);
      if (modem) return modem.plug();
      if (also) return also.open(port);
      return openSerialTransport(port, new PortRegistry(), { owner: 'bench' });
    },
  };
}

/** TPMs by TCTI (checked now, so a typo stops the command before anything runs), then `also`'s ports. */
export function tpmSlots(tctis: readonly string[], also?: SlotSource): SlotSource {
  const checked = tctis.map(parseTcti);
  return {
    ports: async () => [...checked, ...((await also?.ports()) ?? [])],
    async open(port) {
      if (also && !checked.includes(port)) return also.open(port);
      throw new EnrollerError(
        'DEVICE_PORT_OPEN_FAILED',
        `${port} is a TPM: run it with a TPM device type (e.g. tpm-default).`,
      );
    },
  };
}
