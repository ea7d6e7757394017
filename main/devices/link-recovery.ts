// What the station did to keep a device's link going, whatever the device: each recovery lands on
// the audit record and, in a few words, on the device's tile.
import type { ErrorCode } from '../../shared/errors';

export interface LinkRecovery {
  /** retried: asked again; restarted: the device rebooted and was set up again; reconnected: its port came back. */
  readonly kind: 'retried' | 'restarted' | 'reconnected';
  /** The command's head (never its content: commands carry certificates). */
  readonly command: string;
  /** What went wrong first (DEVICE_TIMEOUT, DEVICE_RESET, DEVICE_DISCONNECTED…). */
  readonly cause: ErrorCode;
  /** A change whose reply was lost, found done by reading it back: it was not sent again. */
  readonly readBack?: boolean;
}

/** The tile's words for a recovery, as a technician would say them. */
export function recoveryWords(recovery: LinkRecovery): string {
  if (recovery.readBack) return `reply lost at ${recovery.command} — read back, it had worked`;
  switch (recovery.kind) {
    case 'retried':
      return `link hiccup at ${recovery.command} — retried`;
    case 'restarted':
      return 'modem restarted — resumed';
    case 'reconnected':
      return 'device dropped off USB and came back — resumed';
  }
}
