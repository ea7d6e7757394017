import { EnrollerError } from '../../../../shared/errors';

/** The modem answered OK but not with what the command promises. */
export function garbage(command: string, expected: string, lines: readonly string[]): EnrollerError {
  return new EnrollerError('DEVICE_GARBAGE', `The device's answer to ${command} is not ${expected}.`, {
    command,
    // Enough to diagnose, never a whole certificate.
    received: lines.slice(0, 3).map((l) => (l.length > 80 ? `${l.slice(0, 80)}…` : l)),
  });
}
