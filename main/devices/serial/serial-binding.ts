// node-serialport's two working parts, without its umbrella package: `serialport` also loads its
// mock binding and every parser, which cost ~25 ms of each CLI start that touches a port (#18).
// The versions are serialport's own (package.json pins all three alike).
import { autoDetect } from '@serialport/bindings-cpp';

export { SerialPortStream } from '@serialport/stream';

/** This platform's binding (Linux, macOS or Windows), as serialport itself picks it. */
export const serialBinding = autoDetect();
