// Two in-process Transports wired back to back: what one writes, the other receives, on a later
// tick (as a real link would deliver it). Closing either end closes both, like pulling a cable.
import { EnrollerError } from '../../shared/errors';
import { TransportEvents, type Transport } from './transport';

class MemoryEnd implements Transport {
  readonly events = new TransportEvents();
  peer!: MemoryEnd;
  constructor(readonly label: string) {}

  get closed(): boolean {
    return this.events.closed;
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (this.closed) throw new EnrollerError('DEVICE_DISCONNECTED', `${this.label} is closed.`);
    const copy = Uint8Array.from(bytes);
    setImmediate(() => this.peer.events.emitData(copy));
  }

  onData(listener: (chunk: Uint8Array) => void): () => void {
    return this.events.onData(listener);
  }

  onClose(listener: (error?: Error) => void): () => void {
    return this.events.onClose(listener);
  }

  async close(): Promise<void> {
    this.events.emitClose();
    this.peer.events.emitClose(
      new EnrollerError('DEVICE_DISCONNECTED', `${this.peer.label}: the other end went away.`),
    );
  }
}

export function createMemoryPair(label = 'memory'): [host: Transport, device: Transport] {
  const host = new MemoryEnd(`${label}:host`);
  const device = new MemoryEnd(`${label}:device`);
  host.peer = device;
  device.peer = host;
  return [host, device];
}
