// Which device keys the station accepts: EC P-256/P-384 and RSA 2048–4096 with a sane public
// exponent. Everything else — DSA, small or exotic curves, explicit curve parameters, tiny or
// huge RSA — is refused with its own code.
import crypto from 'node:crypto';
import * as asn1js from 'asn1js';
import { EnrollerError } from '../../shared/errors';
import type { DeviceTypeDocument } from '../../shared/device-type';
import { isNamedCurveSpki } from './spki-key';

export type KeyAlgorithm = 'ec-p256' | 'ec-p384' | 'rsa-2048' | 'rsa-3072' | 'rsa-4096';
export const ALL_KEY_ALGORITHMS: readonly KeyAlgorithm[] = ['ec-p256', 'ec-p384', 'rsa-2048', 'rsa-3072', 'rsa-4096'];

const ID_EC_PUBLIC_KEY = '1.2.840.10045.2.1';
const CURVES: Record<string, KeyAlgorithm> = {
  prime256v1: 'ec-p256',
  'P-256': 'ec-p256',
  secp384r1: 'ec-p384',
  'P-384': 'ec-p384',
};

export interface KeyPolicy {
  readonly allowed: readonly KeyAlgorithm[];
  /** The device type the policy belongs to: every refusal names it, so the fix is obvious. */
  readonly deviceType?: string;
}

/** "(device type csr-file-default)", or nothing outside a device type. */
function inEffect(policy: KeyPolicy): string {
  return policy.deviceType ? ` (device type ${policy.deviceType})` : '';
}

export const DEFAULT_KEY_POLICY: KeyPolicy = { allowed: ALL_KEY_ALGORITHMS };

/** A device type's key policy, named after it. */
export function keyPolicyOf(deviceType: Pick<DeviceTypeDocument, 'name' | 'keyPolicy'>): KeyPolicy {
  return { allowed: deviceType.keyPolicy.allowed, deviceType: deviceType.name };
}

/** Structural checks that must happen before the key is handed to a crypto library. */
export function assertNamedCurve(spki: Uint8Array): void {
  if (isNamedCurveSpki(spki)) return; // the common case, without parsing (#18)
  const parsed = asn1js.fromBER(spki);
  const algorithm = (parsed.result as asn1js.Sequence).valueBlock?.value?.[0];
  if (!(algorithm instanceof asn1js.Sequence))
    throw new EnrollerError('CSR_MALFORMED', 'The public key in the request is not a valid SubjectPublicKeyInfo.');
  const [oid, params] = algorithm.valueBlock.value;
  if (
    oid instanceof asn1js.ObjectIdentifier &&
    oid.valueBlock.toString() === ID_EC_PUBLIC_KEY &&
    !(params instanceof asn1js.ObjectIdentifier)
  ) {
    throw new EnrollerError(
      'CSR_KEY_EXPLICIT_CURVE',
      'The key uses explicit curve parameters instead of a named curve; only P-256 and P-384 are accepted.',
    );
  }
}

/** What the policy reads of a public key: a KeyObject, or the same facts sent back by a proof worker. */
export interface KeyFacts {
  readonly asymmetricKeyType?: string | undefined;
  readonly asymmetricKeyDetails?: crypto.AsymmetricKeyDetails | undefined;
}

export function classifyKey(publicKey: KeyFacts, policy: KeyPolicy = DEFAULT_KEY_POLICY): KeyAlgorithm {
  const type = publicKey.asymmetricKeyType;
  const details = publicKey.asymmetricKeyDetails ?? {};
  let algorithm: KeyAlgorithm;
  if (type === 'ec') algorithm = classifyEc(details.namedCurve ?? 'unknown', policy);
  else if (type === 'rsa') algorithm = classifyRsa(details.modulusLength ?? 0, details.publicExponent ?? 0n, policy);
  else {
    throw new EnrollerError(
      'CSR_KEY_TYPE_NOT_ALLOWED',
      `${String(type ?? 'unknown').toUpperCase()} keys are not accepted; use EC P-256/P-384 or RSA ` +
        `2048–4096${inEffect(policy)}.`,
      { type, ...named(policy) },
    );
  }
  if (!policy.allowed.includes(algorithm)) {
    const which = policy.deviceType ? `Device type ${policy.deviceType}` : 'This key policy';
    throw new EnrollerError(
      'CSR_KEY_TYPE_NOT_ALLOWED',
      `${which} does not accept ${algorithm} keys (allowed: ${policy.allowed.join(', ')}); name a device type that ` +
        `does with --device-type.`,
      { algorithm, allowed: policy.allowed, ...named(policy) },
    );
  }
  return algorithm;
}

function classifyEc(curve: string, policy: KeyPolicy): KeyAlgorithm {
  const known = CURVES[curve];
  if (known) return known;
  const said = `The key is on curve ${curve}; only P-256 and P-384 are accepted${inEffect(policy)}.`;
  throw new EnrollerError('CSR_KEY_CURVE_NOT_ALLOWED', said, { curve, ...named(policy) });
}

function classifyRsa(bits: number, exponent: bigint, policy: KeyPolicy): KeyAlgorithm {
  const details = { bits, ...named(policy) };
  if (bits < 2048) {
    const said = `The RSA key has ${bits} bits; at least 2048 are required${inEffect(policy)}.`;
    throw new EnrollerError('CSR_KEY_TOO_SMALL', said, details);
  }
  if (bits > 4096) {
    const said = `The RSA key has ${bits} bits; at most 4096 are accepted${inEffect(policy)}.`;
    throw new EnrollerError('CSR_KEY_TOO_LARGE', said, details);
  }
  // RFC 4871 / NIST SP 800-89: odd, and at least 65537, below 2^256.
  if (exponent < 65537n || exponent % 2n === 0n || exponent >= 2n ** 256n) {
    const said =
      `The RSA public exponent ${exponent} is not acceptable (it must be odd and at least ` +
      `65537)${inEffect(policy)}.`;
    throw new EnrollerError('CSR_KEY_BAD_EXPONENT', said, { exponent: String(exponent), ...named(policy) });
  }
  if (bits !== 2048 && bits !== 3072 && bits !== 4096) {
    const said = `RSA keys must be 2048, 3072 or 4096 bits; this one has ${bits}${inEffect(policy)}.`;
    throw new EnrollerError('CSR_KEY_TYPE_NOT_ALLOWED', said, details);
  }
  return bits === 2048 ? 'rsa-2048' : bits === 3072 ? 'rsa-3072' : 'rsa-4096';
}

function named(policy: KeyPolicy): { deviceType?: string } {
  return policy.deviceType ? { deviceType: policy.deviceType } : {};
}
