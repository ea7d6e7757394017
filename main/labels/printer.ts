// Sends a label to the printer: raw ZPL to a network printer's TCP port 9100, or to a CUPS queue
// as a raw job (`lp -o raw`, the ZPL on stdin, never in argv). A printer that cannot be reached
// fails the label, never the device.
import { execFile } from 'node:child_process';
import net from 'node:net';
import type { PrinterSetting } from '../../shared/contract';
import { EnrollerError } from '../../shared/errors';

const TIMEOUT_MS = 5_000;

export function printLabel(printer: PrinterSetting, zpl: string): Promise<void> {
  return printer.kind === 'tcp' ? sendTcp(printer.host, printer.port, zpl) : sendCups(printer.queue, zpl);
}

function sendTcp(host: string, port: number, zpl: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const fail = (why: string) => {
      socket.destroy();
      reject(new EnrollerError('LABEL_PRINTER_UNREACHABLE', `The label printer at ${host}:${port} ${why}.`));
    };
    socket.setTimeout(TIMEOUT_MS, () => fail(`did not answer within ${TIMEOUT_MS / 1000} s`));
    socket.once('error', (error) => fail(`cannot be reached (${error.message})`));
    socket.once('connect', () => socket.end(zpl));
    socket.once('close', (hadError) => hadError || resolve());
  });
}

function sendCups(queue: string, zpl: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile('lp', ['-d', queue, '-o', 'raw'], { timeout: TIMEOUT_MS }, (error, _out, stderr) => {
      if (!error) return resolve();
      const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
      reject(
        new EnrollerError(
          'LABEL_PRINT_FAILED',
          missing
            ? 'CUPS is not installed here (no `lp`): use a network printer, or install cups-client.'
            : `CUPS refused the label for queue ${queue}: ${String(stderr).trim() || error.message}`,
        ),
      );
    });
    child.stdin?.end(zpl);
  });
}
