// A Transport over a real serial port (USB CDC, FTDI, or a PTY) through node-serialport's stream.
import fs from 'node:fs';
import { serialBinding, SerialPortStream } from './serial-binding';
import { EnrollerError } from '../../../shared/errors';
import { TransportEvents, type Transport } from '../transport';
import type { PortRegistry } from './port-registry';

export interface SerialOptions {
  readonly baudRate?: number;
  /** RTS/CTS flow control: on for Nordic DKs, off for many factory jigs. */
  readonly rtscts?: boolean;
  /** Who holds the port, for the "already in use" message. */
  readonly owner?: string;
}

export async function openSerialTransport(
  portPath: string,
  registry: PortRegistry,
  options: SerialOptions = {},
): Promise<Transport> {
  const release = registry.claim(portPath, options.owner ?? 'the station');
  const port = new SerialPortStream({
    binding: serialBinding,
    path: portPath,
    baudRate: options.baudRate ?? 115200,
    rtscts: options.rtscts ?? false,
    autoOpen: false,
  });
  try {
    await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
  } catch (error) {
    release();
    throw new EnrollerError('DEVICE_PORT_OPEN_FAILED', `Could not open ${portPath}: ${(error as Error).message}`, {
      port: portPath,
    });
  }
  return new SerialTransport(portPath, port, release);
}

/**
 * How often the device node is looked for. A pulled USB device (or a PTY whose far end went) loses
 * its node at once, while the read error serialport reports can come seconds later on a loaded
 * machine — after a command's deadline, which would name an unplug a timeout.
 */
const PRESENCE_CHECK_MS = 200;

class SerialTransport implements Transport {
  readonly #events = new TransportEvents();
  readonly #port: SerialPortStream;
  readonly #presence: NodeJS.Timeout;
  readonly label: string;

  constructor(label: string, port: SerialPortStream, release: () => void) {
    this.label = label;
    this.#port = port;
    port.on('data', (chunk: Buffer) => this.#events.emitData(chunk));
    port.on('close', (error?: Error | null) => {
      clearInterval(this.#presence);
      release();
      this.#events.emitClose(error ?? undefined);
    });
    this.#presence = setInterval(() => {
      fs.stat(label, (error) => {
        if (error?.code !== 'ENOENT' || this.closed) return;
        const gone = new EnrollerError('DEVICE_DISCONNECTED', `${label} is gone: the device was unplugged.`);
        clearInterval(this.#presence);
        release();
        this.#events.emitClose(gone);
        if (port.isOpen) port.close(() => undefined);
      });
    }, PRESENCE_CHECK_MS).unref();
    port.on('error', (error: Error) => {
      // A read error on a vanished device (EIO): treat it as an unplug.
      release();
      this.#events.emitClose(error);
      if (port.isOpen) port.close(() => undefined);
    });
  }

  get closed(): boolean {
    return this.#events.closed;
  }

  /**
   * Resolves once the bytes are with the operating system. Not drained (tcdrain) as well: nothing
   * waits for the wire itself (the modem's answer is what counts), and a drain per command was one
   * more trip through Node's thread pool for each of sixteen ports at once (#18).
   */
  write(bytes: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(new EnrollerError('DEVICE_DISCONNECTED', `${this.label} is closed.`));
    return new Promise((resolve, reject) => {
      this.#port.write(Buffer.from(bytes), (error) => (error ? reject(error) : resolve()));
    });
  }

  onData(listener: (chunk: Uint8Array) => void): () => void {
    return this.#events.onData(listener);
  }

  onClose(listener: (error?: Error) => void): () => void {
    return this.#events.onClose(listener);
  }

  close(): Promise<void> {
    clearInterval(this.#presence);
    if (!this.#port.isOpen) {
      this.#events.emitClose();
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#port.close(() => resolve()));
  }
}
