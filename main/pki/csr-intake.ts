// CSR intake: the one door every certificate request passes, whatever brought it (a modem, a
// TPM, a file). Size cap before parsing, framing scan before any recursive parser, signature
// (proof of possession) before policy, then key policy, requested extensions and subject.
// Every refusal is a stable code and a sentence; nothing in a hostile CSR can crash the station.
import crypto from 'node:crypto';
import { EnrollerError } from '../../shared/errors';
import { x509 } from './crypto';
import { normalizeCsrDer, readRequestInfo, splitCsr, type CsrParts } from './csr-der';
import { publicKeyFromSpki } from './spki-key';
import { SIGNATURE_HASHES, signatureBits, signatureVerifies } from './signed-der';
import type { Proof, CryptoWorkers } from './crypto-workers';
import { keyOfBytes, Recent } from './recent';
import {
  asksForCa,
  asksToSignCertificates,
  readRequestAttributes,
  type RequestedExtension,
} from './request-attributes';
import { scanDer } from './der-scan';
import { nameEntriesOf, type NameEntries } from './name-der';
import {
  assertNamedCurve,
  classifyKey,
  DEFAULT_KEY_POLICY,
  type KeyAlgorithm,
  type KeyFacts,
  type KeyPolicy,
} from './key-policy';
import { attributeName } from './subject-attributes';

export const DEFAULT_MAX_CSR_BYTES = 16 * 1024;

export interface CsrIntakeOptions {
  readonly maxBytes?: number;
  readonly keyPolicy?: KeyPolicy;
  /** Subject alternative names asked for in the CSR; off by default (the device type sets SANs). */
  readonly allowRequestedSans?: boolean;
  /** Workers that check the proof of possession (a bulk run); by default it is checked here. */
  readonly proofs?: CryptoWorkers | undefined;
  /**
   * Keep the accepted request for the next intake of the same bytes (on by default: a job takes its
   * CSR in at the device and again at the enroller). A bulk run takes each file in once; kept, every
   * request would outlive a few hundred after it and only be collected as old garbage.
   */
  readonly remember?: boolean;
}

export interface AcceptedCsr {
  /** Normalised DER (the nRF91 NULL quirk removed). */
  readonly der: Uint8Array;
  /** Attribute → value, single-valued RDNs only (e.g. { CN: 'nrf-3526…' }). */
  readonly subjectFields: Readonly<Record<string, string>>;
  readonly publicKeySpki: Uint8Array;
  /** SHA-256 of the SubjectPublicKeyInfo, hex: how a key is recognised across requests. */
  readonly keyFingerprint: string;
  readonly keyAlgorithm: KeyAlgorithm;
  /** The PKCS#9 challengePassword (an enrollment code), when the device put one in. */
  readonly challengePassword: string | undefined;
  readonly requestedSans: ReadonlyArray<{ type: string; value: string }>;
}

const OID = {
  extensionRequest: '1.2.840.113549.1.9.14',
  challengePassword: '1.2.840.113549.1.9.7',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  subjectKeyIdentifier: '2.5.29.14',
  clientAuth: '1.3.6.1.5.5.7.3.2',
};

/** Attributes a device subject may carry, with their upper bounds (RFC 5280 Appendix A). */
const SUBJECT_ATTRIBUTES: Record<string, number> = {
  CN: 64,
  O: 64,
  OU: 64,
  C: 2,
  ST: 128,
  L: 128,
  serialNumber: 64,
  DC: 63,
  UID: 64,
  E: 255,
};
const SUBJECT_FORBIDDEN = /[\u0000-\u001f\u007f,+="\\<>;#]/;

/** DER, PEM, or base64/base64url text in; DER out. */
export function decodeCsrInput(input: Uint8Array | string, maxBytes = DEFAULT_MAX_CSR_BYTES): Uint8Array {
  const limit = Math.ceil(maxBytes * 1.4) + 200; // base64 and PEM armour
  if (input.length > (typeof input === 'string' ? limit : maxBytes)) throw tooLarge(input.length, maxBytes);
  let text: string | undefined;
  if (typeof input === 'string') text = input;
  else if (input[0] !== 0x30) text = Buffer.from(input).toString('latin1');
  if (text === undefined) return input as Uint8Array;
  const pem = /-----BEGIN (?:NEW )?CERTIFICATE REQUEST-----([\s\S]*?)-----END (?:NEW )?CERTIFICATE REQUEST-----/.exec(
    text,
  );
  const body = (pem ? pem[1]! : text).replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/_-]+=*$/.test(body)) throw malformed('it is neither DER, PEM nor base64');
  const der = new Uint8Array(Buffer.from(body.replace(/-/g, '+').replace(/_/g, '/'), 'base64'));
  if (der.length > maxBytes) throw tooLarge(der.length, maxBytes);
  return der;
}

export async function intakeCsr(input: Uint8Array | string, options: CsrIntakeOptions = {}): Promise<AcceptedCsr> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_CSR_BYTES;
  const raw = decodeCsrInput(input, maxBytes);
  const scan = scanDer(raw);
  if (!scan.ok) throw malformed(scan.reason);
  const der = normalizeCsrDer(raw);
  const parts = splitCsr(der);
  if (!parts) throw malformed('it is not a PKCS#10 CertificationRequest');
  if (options.remember === false) return accept(der, parts, options);
  const key = rememberedAs(der, options);
  let accepted = acceptedLately.get(key);
  if (!accepted) {
    accepted = await accept(der, parts, options);
    acceptedLately.keep(key, accepted);
  }
  return accepted;
}

/**
 * Requests accepted lately, by their DER and the rules they were taken in under: a job takes its
 * CSR in at the device and again at the enroller, and parsing and the proof of possession are most
 * of what a certificate costs the station CA (#18). Only accepted ones: a refusal is checked again.
 */
const acceptedLately = new Recent<AcceptedCsr>();

function rememberedAs(der: Uint8Array, options: CsrIntakeOptions): string {
  const rules = JSON.stringify([options.keyPolicy ?? DEFAULT_KEY_POLICY, options.allowRequestedSans ?? false]);
  return `${keyOfBytes(der)} ${rules}`;
}

/** Keeps a request taken in with `remember: false` after all: it is about to be taken in again. */
export function rememberAccepted(csr: AcceptedCsr, options: CsrIntakeOptions): void {
  acceptedLately.keep(rememberedAs(csr.der, options), csr);
}

async function accept(der: Uint8Array, parts: CsrParts, options: CsrIntakeOptions): Promise<AcceptedCsr> {
  const info = readRequestInfo(parts.info);
  if (!info) throw malformed('its version, subject or public key is missing or wrong');
  const { spki } = info;
  assertNamedCurve(spki);

  // Proof of possession first: nothing else about a request matters if its key did not sign it.
  const publicKey = await verifySignature(parts, spki, options.proofs);
  const keyAlgorithm = classifyKey(publicKey, options.keyPolicy ?? DEFAULT_KEY_POLICY);
  const { challengePassword, requestedSans } = checkAttributes(info.attributes, options.allowRequestedSans ?? false);
  return {
    der,
    subjectFields: checkSubject(nameEntriesOf(info.subject) ?? libraryEntries(info.subject)),
    publicKeySpki: spki,
    keyFingerprint: crypto.hash('sha256', spki, 'hex'),
    keyAlgorithm,
    challengePassword,
    requestedSans,
  };
}

/** A subject of another shape than devices use, as the X.509 library reads it (and judges it). */
function libraryEntries(subjectDer: Uint8Array): NameEntries {
  return new x509.Name(subjectDer).toJSON().flatMap((rdn) => {
    const entries = Object.entries(rdn);
    if (entries.length !== 1 || entries[0]![1].length !== 1) throw subjectInvalid('a multi-valued name component');
    return [[attributeName(entries[0]![0]), entries[0]![1][0]!] as const];
  });
}

/** The signature checked on Node's thread pool, or on the proof workers: the main thread goes on meanwhile. */
async function verifySignature(
  parts: CsrParts,
  spki: Uint8Array,
  proofs: CryptoWorkers | undefined,
): Promise<KeyFacts> {
  const hash = SIGNATURE_HASHES[parts.algorithmOidText];
  if (hash === undefined) {
    const said = `The request is signed with an algorithm the station does not accept (${parts.algorithmOidText}).`;
    throw new EnrollerError('CSR_SIGNATURE_ALGORITHM_UNSUPPORTED', said, { algorithm: parts.algorithmOidText });
  }
  const proof = proofs ? await provedByWorker(proofs, parts, spki, hash) : await provedHere(parts, spki);
  if (!proof.key) {
    throw new EnrollerError(
      'CSR_KEY_TYPE_NOT_ALLOWED',
      'The public key in the request is of a kind the station cannot use.',
    );
  }
  if (!proof.verified) {
    const said =
      "The request's signature does not verify: it was not signed by the key it carries (no proof of possession).";
    throw new EnrollerError('CSR_BAD_SIGNATURE', said);
  }
  return proof.key;
}

async function provedHere(parts: CsrParts, spki: Uint8Array): Promise<Proof> {
  let key: crypto.KeyObject;
  try {
    key = publicKeyFromSpki(spki);
  } catch {
    return { verified: false, key: undefined };
  }
  return { verified: (await signatureVerifies(parts, key)) === true, key };
}

function provedByWorker(proofs: CryptoWorkers, parts: CsrParts, spki: Uint8Array, hash: string | null): Promise<Proof> {
  const signature = signatureBits(parts);
  return signature ? proofs.prove(spki, hash, parts.info, signature) : Promise.resolve({ verified: false, key: {} });
}

function checkSubject(entries: NameEntries): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [attribute, value] of entries) {
    const limit = SUBJECT_ATTRIBUTES[attribute];
    if (limit === undefined) throw subjectInvalid(`the attribute ${attribute}`);
    if (value.length === 0 || value.length > limit)
      throw subjectInvalid(`${attribute} of length ${value.length} (1–${limit} allowed)`);
    if (SUBJECT_FORBIDDEN.test(value) || value.trim() !== value)
      throw subjectInvalid(`characters in ${attribute} that could be mistaken for name syntax`);
    if (attribute === 'C' && !/^[A-Z]{2}$/.test(value))
      throw subjectInvalid('a country that is not two capital letters');
    if (attribute in fields) throw subjectInvalid(`${attribute} twice`);
    fields[attribute] = value;
  }
  return fields;
}

function checkAttributes(der: Uint8Array | undefined, allowSans: boolean) {
  const requestedSans: Array<{ type: string; value: string }> = [];
  if (!der) return { challengePassword: undefined, requestedSans };
  const attributes = readRequestAttributes(der);
  if (!attributes) throw malformed('its attributes are not of the form PKCS#10 gives them');
  for (const extension of attributes.extensions) checkRequestedExtension(extension, allowSans, requestedSans);
  return { challengePassword: attributes.challengePassword, requestedSans };
}

function checkRequestedExtension(
  extension: RequestedExtension,
  allowSans: boolean,
  sans: Array<{ type: string; value: string }>,
): void {
  switch (extension.type) {
    case OID.basicConstraints:
      if (readOrMalformed(asksForCa(extension.value), 'basicConstraints')) throw requestsCa('CA:TRUE');
      return;
    case OID.keyUsage:
      if (readOrMalformed(asksToSignCertificates(extension.value), 'keyUsage'))
        throw requestsCa('keyCertSign or cRLSign');
      return;
    case OID.extKeyUsage: {
      const extra = new x509.ExtendedKeyUsageExtension(extension.der).usages
        .map(String)
        .filter((u) => u !== OID.clientAuth);
      if (extra.length > 0) {
        throw new EnrollerError(
          'CSR_EXTRA_EKU',
          `The request asks for key purposes a device certificate does not get (${extra.join(', ')}); only ` +
            `clientAuth is issued.`,
          { usages: extra },
        );
      }
      return;
    }
    case OID.subjectAltName: {
      const names = new x509.SubjectAlternativeNameExtension(extension.der).names.toJSON();
      if (!allowSans) {
        throw new EnrollerError(
          'CSR_EXTRA_SAN',
          'The request asks for subject alternative names; this device type takes its names from the station, not ' +
            'from the device.',
          {
            names: names.slice(0, 5),
          },
        );
      }
      sans.push(...names);
      return;
    }
    case OID.subjectKeyIdentifier:
      return;
    default:
      if (extension.critical) {
        throw new EnrollerError(
          'CSR_UNKNOWN_CRITICAL_EXTENSION',
          `The request marks an extension the station does not know as critical (${extension.type}).`,
          { oid: extension.type },
        );
      }
  }
}

function readOrMalformed(asks: boolean | undefined, extension: string): boolean {
  if (asks === undefined) throw malformed(`its ${extension} extension cannot be read`);
  return asks;
}

function requestsCa(what: string): EnrollerError {
  return new EnrollerError(
    'CSR_REQUESTS_CA',
    `The request asks to become a certificate authority (${what}); devices never get CA certificates.`,
  );
}

function subjectInvalid(what: string): EnrollerError {
  return new EnrollerError('CSR_SUBJECT_INVALID', `The request's subject is not acceptable: it has ${what}.`);
}

function malformed(reason: string): EnrollerError {
  return new EnrollerError('CSR_MALFORMED', `The certificate request cannot be read: ${reason}.`, { reason });
}

function tooLarge(bytes: number, limit: number): EnrollerError {
  return new EnrollerError(
    'CSR_TOO_LARGE',
    `The certificate request is ${bytes} bytes; at most ${limit} are accepted.`,
    { bytes, limit },
  );
}
