// Which TPM to talk to, as a tpm2-tools TCTI string. Only the forms the station supports are
// accepted, so a typo fails here with a sentence instead of deep inside libtss2.
import { EnrollerError } from '../../../shared/errors';

const FORMS: ReadonlyArray<{ pattern: RegExp; example: string }> = [
  { pattern: /^device:\/dev\/tpm(rm)?\d+$/, example: 'device:/dev/tpmrm0' },
  { pattern: /^swtpm:host=[A-Za-z0-9.:-]+,port=\d{1,5}$/, example: 'swtpm:host=127.0.0.1,port=2321' },
  { pattern: /^swtpm:path=\/[^,\0]+$/, example: 'swtpm:path=/run/swtpm/tpm.sock' },
  { pattern: /^tabrmd(:bus_name=[A-Za-z0-9._]+)?$/, example: 'tabrmd' },
];

/** Returns the TCTI unchanged when it is one the station supports; throws TPM_TCTI_INVALID otherwise. */
export function parseTcti(tcti: string): string {
  if (isTcti(tcti)) return tcti.trim();
  throw new EnrollerError(
    'TPM_TCTI_INVALID',
    `"${tcti}" is not a TPM address the station understands. Use one of: ${FORMS.map((f) => f.example).join(', ')}.`,
    { tcti },
  );
}

/** Whether a bench port names a TPM (by TCTI) rather than a serial device. */
export function isTcti(port: string): boolean {
  return FORMS.some((f) => f.pattern.test(port.trim()));
}
