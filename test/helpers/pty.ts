// Simulated modems behind real PTYs (socat), opened by the station through serialport.
import path from 'node:path';
import { AtClient } from '../../main/devices/nrf91/at-client';
import { Nrf91Modem } from '../../main/devices/nrf91/modem';
import { startPtySimulator, type PtySimulator } from '../../main/devices/nrf91-sim/pty-host';
import type { SimulatorOptions } from '../../main/devices/nrf91-sim/simulator';
import { PortRegistry } from '../../main/devices/serial/port-registry';
import { openSerialTransport } from '../../main/devices/serial/serial-transport';
import { fileLogger, tempDir } from './station';

export const stationPorts = new PortRegistry();

export async function ptyModems(
  count: number,
  options: Partial<SimulatorOptions> = {},
  dir = tempDir('enroller-pty-'),
): Promise<PtySimulator[]> {
  return Promise.all(
    Array.from({ length: count }, (_, i) =>
      startPtySimulator({ dir, seed: `pty-${path.basename(dir)}-${i}`, ...options }),
    ),
  );
}

export async function openModem(portPath: string): Promise<Nrf91Modem> {
  const transport = await openSerialTransport(portPath, stationPorts, { owner: 'test station' });
  const { log } = fileLogger(tempDir());
  return new Nrf91Modem(new AtClient(transport, log), log);
}
