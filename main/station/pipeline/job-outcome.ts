// What a device job reports: to the batch as it goes (progress), and once when it ends (outcome).
import type { Step } from '../../store/job-store';

export interface JobOutcome {
  /** The slot: a serial port, a TPM's TCTI, or a CSR file's path. */
  readonly port: string;
  readonly deviceId: string | undefined;
  readonly petName?: string | undefined;
  readonly status: 'verified' | 'waiting' | 'failed';
  readonly certSerial: string | undefined;
  readonly issuer: string | undefined;
  readonly code: string | undefined;
  readonly message: string | undefined;
  /** Certificate files written out (CSR files; a TPM with an out dir), PEM first. */
  readonly certFile?: string | undefined;
  /** The device's label: printed, or the printer failed (the device is enrolled either way). */
  readonly label?: 'printed' | 'failed';
}

/** What a running job reports as it goes (the batch turns it into `device:changed`). */
export interface JobProgress {
  readonly step: Step;
  readonly deviceId: string | undefined;
  readonly petName?: string | undefined;
  readonly imei?: string;
  /** What the station just did to keep the device's link going, in the tile's words. */
  readonly recovery?: string;
}

export function outcome(
  port: string,
  deviceId: string | undefined,
  status: JobOutcome['status'],
  certSerial: string | null | undefined,
  issuer: string | null | undefined,
  code: string | undefined,
  message: string | undefined,
  petName?: string,
): JobOutcome {
  return {
    port,
    deviceId,
    ...(petName ? { petName } : {}),
    status,
    certSerial: certSerial ?? undefined,
    issuer: issuer ?? undefined,
    code,
    message,
  };
}
