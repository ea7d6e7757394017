// node-serialport's two working parts, without its umbrella package: `serialport` also loads its
// mock binding and every parser, which cost ~25 ms of each CLI start that touches a port (#18).
// The versions are serialport's own (package.json pins all three alike).
import fs from 'node:fs';
import { autoDetect, type DarwinPortBinding, type LinuxPortBinding } from '@serialport/bindings-cpp';
import { unixRead } from '@serialport/bindings-cpp/dist/unix-read';

export { SerialPortStream } from '@serialport/stream';

type UnixPort = LinuxPortBinding | DarwinPortBinding;
type ReadNow = NonNullable<Parameters<typeof unixRead>[0]['fsReadAsync']>;

/**
 * The read(2) itself, here on the main thread. The port is open non-blocking, so it returns at
 * once: bytes that are there, or EAGAIN, on which serialport's own reader waits for its poller to
 * say "readable" and reads again, exactly as with its default. That default sends each read to
 * Node's thread pool and back: on sixteen ports at once, a reply waited there 90–100 ms a device
 * in all (measured from the modem's last byte to the station's parsed answer); read here, 25–35 (#18).
 */
const readNow = (async (fd: number, buffer: Buffer, offset: number, length: number, position: null) => ({
  bytesRead: fs.readSync(fd, buffer, offset, length, position),
  buffer,
})) as unknown as ReadNow;

/** A port of the Linux or macOS binding whose reads run on the main thread (readNow). */
function readingHere<T extends UnixPort>(port: T): T {
  port.read = (buffer, offset, length) => unixRead({ binding: port, buffer, offset, length, fsReadAsync: readNow });
  return port;
}

/** This platform's binding (Linux, macOS or Windows) as serialport picks it; on Linux and macOS, reading here. */
function platformBinding() {
  const binding = autoDetect();
  if (process.platform === 'win32') return binding;
  type OpenOptions = Parameters<typeof binding.open>[0];
  const unix = binding as typeof binding & { open(options: OpenOptions): Promise<UnixPort> };
  return { ...unix, open: async (options: OpenOptions) => readingHere(await unix.open(options)) };
}

export const serialBinding = platformBinding();
