// Who a simulated modem is: IMEI (with a valid Luhn digit), device UUID, firmware, and the
// device identity key that signs its COSE evidence — all derived from one seed so a PTY
// simulator restarted with the same seed is the same device.
import crypto from 'node:crypto';
import { luhnValid } from '../nrf91/parsers/identity';

export interface SimIdentity {
  readonly imei: string;
  readonly deviceUuid: Uint8Array;
  readonly firmware: string;
  readonly firmwareUuid: Uint8Array;
  readonly model: string;
  /** %ATTESTTOKEN device type: 6 = nRF9151 LACA. */
  readonly deviceType: number;
}

export function simIdentity(seed: string, firmware = 'mfw_nrf91x1_2.0.2'): SimIdentity {
  const digest = crypto.createHash('sha256').update(`nrf91-sim:${seed}`).digest();
  const serial = (digest.readUInt32BE(0) % 1_000_000).toString().padStart(6, '0');
  const body = `35265610${serial}`;
  const check = [...'0123456789'].find((d) => luhnValid(body + d))!;
  return {
    imei: body + check,
    deviceUuid: Uint8Array.from(digest.subarray(4, 20)),
    firmware,
    firmwareUuid: Uint8Array.from(crypto.createHash('sha256').update(`fw:${firmware}`).digest().subarray(0, 16)),
    model: firmware.includes('9160') ? 'nRF9160-SICA' : 'nRF9151-LACA',
    deviceType: firmware.includes('9160') ? 1 : 6,
  };
}
