// What an EST server's CSR attributes (csr-attributes.ts) demand of a CSR, and whether a CSR meets
// it — checked before the CSR is sent, so a device that cannot meet it is refused on the bench in
// words instead of by the server with a bare 400. Enforced: the signature algorithm, the key type
// and curve or size, and subject attributes. challengePassword (tls-unique binding, RFC 7030 §3.5)
// is not: the station does not bind CSRs to its TLS session, and says so.
import { CertificationRequest } from '@peculiar/asn1-csr';
import { AsnConvert } from '@peculiar/asn1-schema';
import { EnrollerError } from '../../shared/errors';
import { keyShapeOf } from './key-shape';
import { nameOf, type CsrAttributes } from './csr-attributes';

const EC_KEY = '1.2.840.10045.2.1';
const RSA_KEY = '1.2.840.113549.1.1.1';
const CHALLENGE_PASSWORD = '1.2.840.113549.1.9.7';
const SIGNATURE_ALGORITHMS = new Set([
  '1.2.840.10045.4.3.2',
  '1.2.840.10045.4.3.3',
  '1.2.840.10045.4.3.4',
  '1.2.840.113549.1.1.11',
  '1.2.840.113549.1.1.12',
  '1.2.840.113549.1.1.13',
  '1.2.840.113549.1.1.10',
]);

export interface CsrRequirements {
  /** Signature algorithms the server takes (OIDs); empty: any. */
  readonly signatureAlgorithms: readonly string[];
  /** Key types the server takes; empty: any. */
  readonly keys: ReadonlyArray<
    { readonly type: 'ec'; readonly curves: readonly string[] } | { readonly type: 'rsa'; readonly bits?: number }
  >;
  /** Subject attribute types (2.5.4.x) the CSR must name. */
  readonly subjectAttributes: readonly string[];
  /** The server asks for challengePassword (tls-unique); not enforced, said. */
  readonly challengePassword: boolean;
}

export function requirementsOf(asked: CsrAttributes): CsrRequirements {
  const signatureAlgorithms = asked.oids.filter((oid) => SIGNATURE_ALGORITHMS.has(oid));
  const keys: Array<CsrRequirements['keys'][number]> = [];
  for (const attribute of asked.attributes) {
    if (attribute.type === EC_KEY) keys.push({ type: 'ec', curves: attribute.values });
    if (attribute.type === RSA_KEY) keys.push({ type: 'rsa', ...bitsOf(attribute.values[0]) });
  }
  if (asked.oids.includes(EC_KEY) && !keys.some((k) => k.type === 'ec')) keys.push({ type: 'ec', curves: [] });
  if (asked.oids.includes(RSA_KEY) && !keys.some((k) => k.type === 'rsa')) keys.push({ type: 'rsa' });
  const subjectAttributes = [...asked.oids, ...asked.attributes.map((a) => a.type)].filter((oid) =>
    oid.startsWith('2.5.4.'),
  );
  const challengePassword = asked.oids.includes(CHALLENGE_PASSWORD);
  return { signatureAlgorithms, keys, subjectAttributes, challengePassword };
}

/** An INTEGER value (hex DER) as a key size. */
function bitsOf(valueHex: string | undefined): { bits?: number } {
  if (!valueHex?.startsWith('02')) return {};
  const length = parseInt(valueHex.slice(2, 4), 16);
  const bits = parseInt(valueHex.slice(4, 4 + length * 2), 16);
  return Number.isFinite(bits) && bits > 0 ? { bits } : {};
}

/** What this CSR lacks of what the server asks, each in words; empty when it meets it all. */
export function unmetBy(csrDer: Uint8Array, asked: CsrRequirements): string[] {
  const csr = AsnConvert.parse(csrDer, CertificationRequest);
  const unmet: string[] = [];
  const signature = csr.signatureAlgorithm.algorithm;
  if (asked.signatureAlgorithms.length > 0 && !asked.signatureAlgorithms.includes(signature))
    unmet.push(
      `the server takes ${asked.signatureAlgorithms.map(nameOf).join(' or ')} signatures; the CSR is signed ` +
        `${nameOf(signature)}`,
    );
  const key = keyOf(csr);
  if (asked.keys.length > 0 && !asked.keys.some((wanted) => meets(key, wanted)))
    unmet.push(`the server takes ${asked.keys.map(describeWanted).join(' or ')}; the CSR has ${describeKey(key)}`);
  const named = new Set(csr.certificationRequestInfo.subject.flatMap((rdn) => rdn.map((attribute) => attribute.type)));
  for (const type of asked.subjectAttributes)
    if (!named.has(type)) unmet.push(`the server wants ${nameOf(type)} in the subject; the CSR has none`);
  return unmet;
}

/** Refuses a CSR the server would refuse, naming what it asks and what the CSR has. */
export function refuseUnmet(csrDer: Uint8Array, asked: CsrRequirements | undefined, deviceId: string): void {
  if (!asked) return;
  const unmet = unmetBy(csrDer, asked);
  if (unmet.length === 0) return;
  throw new EnrollerError(
    'CSR_ATTRIBUTES_UNMET',
    `${deviceId} cannot be enrolled with this profile: ${unmet.join('; ')}. Nothing was sent. Use a device type ` +
      'whose keys the server takes, or a profile for another server.',
    { unmet },
  );
}

type KeyOf =
  { type: 'ec'; curve: string | undefined } | { type: 'rsa'; bits: number } | { type: 'other'; name: string };

/** Curve names as Node reports them, as the OIDs CSR attributes use. */
const CURVE_OIDS: Readonly<Record<string, string>> = {
  prime256v1: '1.2.840.10045.3.1.7',
  secp384r1: '1.3.132.0.34',
  secp521r1: '1.3.132.0.35',
};

function keyOf(csr: CertificationRequest): KeyOf {
  const shape = keyShapeOf(new Uint8Array(AsnConvert.serialize(csr.certificationRequestInfo.subjectPKInfo)));
  if (shape.type === 'ec')
    return { type: 'ec', curve: shape.curve ? (CURVE_OIDS[shape.curve] ?? shape.curve) : undefined };
  if (shape.type === 'rsa') return { type: 'rsa', bits: shape.bits ?? 0 };
  return { type: 'other', name: shape.type };
}

function meets(key: KeyOf, wanted: CsrRequirements['keys'][number]): boolean {
  if (wanted.type === 'ec')
    return key.type === 'ec' && (wanted.curves.length === 0 || wanted.curves.includes(key.curve ?? ''));
  return key.type === 'rsa' && (wanted.bits === undefined || key.bits >= wanted.bits);
}

function describeWanted(wanted: CsrRequirements['keys'][number]): string {
  if (wanted.type === 'ec')
    return wanted.curves.length ? `EC keys on ${wanted.curves.map(nameOf).join(' or ')}` : 'EC keys';
  return wanted.bits ? `RSA keys of ${wanted.bits} bits` : 'RSA keys';
}

function describeKey(key: KeyOf): string {
  if (key.type === 'ec') return `an EC key on ${nameOf(key.curve ?? 'an unnamed curve')}`;
  if (key.type === 'rsa') return `an RSA key of ${key.bits} bits`;
  return `a ${key.name.toUpperCase()} key`;
}
