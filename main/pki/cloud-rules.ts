// What each cloud asks of a device's certificate before it lets the device in, as the clouds'
// own documentation states it. Preflight (preflight.ts) checks a chain against these before a
// single byte is written to a device: a refusal on the bench costs a minute, one in the field a
// truck roll. Seed 004: Azure DPS answering "return code 5" to a chain written in the wrong shape.
import type { CloudTarget } from '../../shared/device-type';
import type { KeyShape } from './key-shape';

export interface CloudRules {
  /** Said in findings: "Azure DPS refuses …". */
  readonly name: string;
  /** The leaf's CN must be the ID the device registers with. */
  readonly cnIsRegistrationId: 'always' | 'when-given';
  /** Extended key usage clientAuth in the leaf (mutual TLS). */
  readonly clientAuth: boolean;
  /** The device keys the cloud accepts, in words and as a test. */
  readonly keys: { readonly words: string; readonly accepts: (key: KeyShape) => boolean };
  /** The chain must lead to a CA the cloud verified (Azure DPS: proof of possession). */
  readonly verifiedCa: boolean;
}

const rsa2048Up = (key: KeyShape) => key.type === 'rsa' && (key.bits ?? 0) >= 2048;
const curves =
  (...names: string[]) =>
  (key: KeyShape) =>
    key.type === 'ec' && names.includes(key.curve ?? '');

export const CLOUD_RULES: Record<Exclude<CloudTarget, 'none'>, CloudRules> = {
  // nRF Cloud: the modem makes P-256 keys only, and the device ID is the certificate's CN.
  'nrf-cloud': {
    name: 'nRF Cloud',
    cnIsRegistrationId: 'always',
    clientAuth: true,
    keys: { words: 'EC P-256', accepts: curves('prime256v1') },
    verifiedCa: false,
  },
  // Azure IoT Hub DPS: registration ID = CN; RSA 2048+ or ECC P-256/P-384; a CA verified by proof of possession.
  'azure-dps': {
    name: 'Azure DPS',
    cnIsRegistrationId: 'always',
    clientAuth: true,
    keys: {
      words: 'RSA 2048 bits or more, EC P-256 or P-384',
      accepts: (k) => rsa2048Up(k) || curves('prime256v1', 'secp384r1')(k),
    },
    verifiedCa: true,
  },
  // AWS IoT Core: RSA 2048+ or ECDSA P-256/P-384/P-521; the thing name is set apart from the CN
  // unless a provisioning template ties them (then a registration ID is given).
  'aws-iot': {
    name: 'AWS IoT Core',
    cnIsRegistrationId: 'when-given',
    clientAuth: true,
    keys: {
      words: 'RSA 2048 bits or more, EC P-256, P-384 or P-521',
      accepts: (k) => rsa2048Up(k) || curves('prime256v1', 'secp384r1', 'secp521r1')(k),
    },
    verifiedCa: false,
  },
};
