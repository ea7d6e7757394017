// %KEYGEN and %ATTESTTOKEN replies: `"<base64url>.<base64url>"`, unpadded. Sources: Nordic
// "nRF91 AT Commands Reference Guide" (%KEYGEN set command, %ATTESTTOKEN); nRF Cloud utils
// modem_credentials_parser.py; nrf91-at.md §4.2 and §5.
import { decode, Tag } from 'cbor2';
import { garbage } from './garbage';

export interface TwoPartReply {
  readonly first: Uint8Array;
  readonly cose: Uint8Array;
}

function parseTwoPart(command: string, prefix: string, lines: readonly string[]): TwoPartReply {
  for (const line of lines) {
    const match = new RegExp(`^${prefix}: ?"([A-Za-z0-9_-]+)\\.([A-Za-z0-9_-]+)"$`).exec(line);
    if (match) return { first: base64url(match[1]!), cose: base64url(match[2]!) };
  }
  throw garbage(command, `a ${prefix} reply ("<base64url>.<base64url>")`, lines);
}

function base64url(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'base64url'));
}

/** `AT%KEYGEN=<tag>,2,0,...` → the CSR (DER) and the COSE_Sign1 evidence. */
export function parseKeygen(lines: readonly string[]): { csrDer: Uint8Array; cose: Uint8Array } {
  const { first, cose } = parseTwoPart('AT%KEYGEN', '%KEYGEN', lines);
  return { csrDer: first, cose };
}

export interface KeygenEvidence {
  /** 9 = CSR message, 8 = public-key message. */
  readonly messageType: number;
  readonly deviceUuid: string;
  readonly secTag: number;
  /** SHA-256 of the first part (the CSR DER), as the modem signed it. */
  readonly digest: Uint8Array;
  readonly nonce: Uint8Array;
  readonly algorithm: number;
}

/**
 * COSE_Sign1 (RFC 9052, CBOR tag 18): [protected {1: -7}, unprotected {4: h'21'}, payload,
 * signature]. The payload is tag 55799 [type, uuid(16), bstr(CBOR(sec_tag)), sha256(32), nonce(16)].
 * The signature needs Nordic's device identity key to verify, so it is kept as evidence and the
 * payload is used for consistency checks (nrf91-at.md §4.2).
 */
export function parseKeygenEvidence(cose: Uint8Array): KeygenEvidence | undefined {
  try {
    const sign1 = untag(decode(cose), 18);
    if (!Array.isArray(sign1) || sign1.length !== 4) return undefined;
    const [protectedBytes, , payloadBytes] = sign1 as [unknown, unknown, unknown, unknown];
    if (!(protectedBytes instanceof Uint8Array) || !(payloadBytes instanceof Uint8Array)) return undefined;
    const headers = decode(protectedBytes) as Map<number, unknown> | Record<string, unknown>;
    const algorithm = Number(headers instanceof Map ? headers.get(1) : headers['1']);
    const payload = untag(decode(payloadBytes), 55799);
    if (!Array.isArray(payload) || payload.length < 5) return undefined;
    const [messageType, uuid, secTagBytes, digest, nonce] = payload as unknown[];
    if (typeof messageType !== 'number' || !(uuid instanceof Uint8Array) || uuid.length !== 16) return undefined;
    if (
      !(secTagBytes instanceof Uint8Array) ||
      !(digest instanceof Uint8Array) ||
      digest.length !== 32 ||
      !(nonce instanceof Uint8Array)
    )
      return undefined;
    const secTag = decode(secTagBytes);
    if (typeof secTag !== 'number' && typeof secTag !== 'bigint') return undefined;
    return { messageType, deviceUuid: formatUuid(uuid), secTag: Number(secTag), digest, nonce, algorithm };
  } catch {
    return undefined;
  }
}

export interface AttestationIdentity {
  readonly deviceUuid: string;
  readonly deviceType: number;
  readonly firmwareUuid: string;
}

/** `AT%ATTESTTOKEN` → body tag 55799 [1, device UUID, device type, firmware UUID, …]. */
export function parseAttestationToken(lines: readonly string[]): AttestationIdentity & TwoPartReply {
  const reply = parseTwoPart('AT%ATTESTTOKEN', '%ATTESTTOKEN', lines);
  try {
    const body = untag(decode(reply.first), 55799);
    if (
      Array.isArray(body) &&
      body[0] === 1 &&
      body[1] instanceof Uint8Array &&
      body[1].length === 16 &&
      typeof body[2] === 'number' &&
      body[3] instanceof Uint8Array
    ) {
      return { ...reply, deviceUuid: formatUuid(body[1]), deviceType: body[2], firmwareUuid: formatUuid(body[3]) };
    }
  } catch {
    // fall through to the coded error
  }
  throw garbage('AT%ATTESTTOKEN', 'an attestation token with a device identity message', lines);
}

function untag(value: unknown, tag: number): unknown {
  return value instanceof Tag && Number(value.tag) === tag ? value.contents : value;
}

export function formatUuid(bytes: Uint8Array): string {
  const hex = Buffer.from(bytes).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
