// Identity replies. Sources: Nordic "nRF91 AT Commands Reference Guide" (+CGSN, +CGMR, +CFUN);
// nrf91-at.md §2. Each parser is pure: information lines in, a value or a coded error out.
import { garbage } from './garbage';

/** `AT+CGSN=1` → `+CGSN: "352656109480783"`; plain `AT+CGSN` → the bare 15 digits. */
export function parseImei(lines: readonly string[]): string {
  for (const line of lines) {
    const match = /^(?:\+CGSN: ?"(\d{15})"|(\d{15}))$/.exec(line);
    const imei = match?.[1] ?? match?.[2];
    if (imei && luhnValid(imei)) return imei;
  }
  throw garbage('AT+CGSN=1', 'an IMEI (15 digits with a valid check digit)', lines);
}

/** IMEIs end in a Luhn check digit (3GPP TS 23.003 §6.2.1): a cheap guard against line noise. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

export interface FirmwareVersion {
  readonly raw: string;
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
}

/** `AT+CGMR` → `mfw_nrf9160_1.3.5`, `mfw_nrf91x1_2.0.2`, `mfw_nrf9151-ntn_1.0.0`. */
export function parseFirmware(lines: readonly string[]): FirmwareVersion {
  for (const line of lines) {
    const match = /^mfw[-_][\w-]*?[-_](\d+)\.(\d+)\.(\d+)(?:[-_.]\w+)*$/.exec(line);
    if (match) return { raw: line, major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3]) };
  }
  throw garbage('AT+CGMR', 'a modem firmware version (mfw_…_x.y.z)', lines);
}

export function atLeast(version: FirmwareVersion, major: number, minor: number, patch: number): boolean {
  return version.major !== major
    ? version.major > major
    : version.minor !== minor
      ? version.minor > minor
      : version.patch >= patch;
}

/** `AT+CFUN?` → `+CFUN: 4`. */
export function parseCfun(lines: readonly string[]): number {
  for (const line of lines) {
    const match = /^\+CFUN: ?(\d{1,2})$/.exec(line);
    if (match) return Number(match[1]);
  }
  throw garbage('AT+CFUN?', 'a functional mode (+CFUN: n)', lines);
}
