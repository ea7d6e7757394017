// CMP message protection (RFC 4210 §5.1.3, RFC 9483 §3.2): what is protected is
// ProtectedPart ::= SEQUENCE { header, body }, taken from a received message's own bytes (never
// re-encoded). Two kinds:
//  - MAC with a shared secret, password-based (PBM, RFC 4211 §4.4): the key is the one-way function
//    iterated over secret ‖ salt, then an HMAC;
//  - a signature by a certificate's key, the certificate sent in extraCerts and checked against the
//    profile's trust anchors.
import crypto from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { childrenOf, DER_SEQUENCE, derTlv, readTlv } from '../der';
import { SIGNATURE_HASHES, signatureVerifies } from '../signed-der';
import { PBMParameter } from './cmp-schema';

export const PBM_OID = '1.2.840.113533.7.66.13';
/** The one-way functions and MACs a PBM may name (RFC 9481 §6.1): the hash or HMAC each stands for. */
const OWF: Readonly<Record<string, string>> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};
const HMAC: Readonly<Record<string, string>> = {
  '1.3.6.1.5.5.8.1.2': 'sha1',
  '1.2.840.113549.2.9': 'sha256',
  '1.2.840.113549.2.10': 'sha384',
  '1.2.840.113549.2.11': 'sha512',
};
/** What the station sends: SHA-256 and HMAC-SHA256, as RFC 9481 recommends; iterations as OpenSSL's default. */
const SEND = { owf: '2.16.840.1.101.3.4.2.1', mac: '1.2.840.113549.2.9', iterations: 500 } as const;
/** A server naming more than this makes the station hash for too long: refused. */
const MAX_ITERATIONS = 100_000;

/** ProtectedPart's DER from a whole PKIMessage's DER: its first two elements, byte for byte. */
export function protectedPartOf(messageDer: Uint8Array): Uint8Array | undefined {
  const outer = readTlv(messageDer, 0);
  if (!outer || outer.tag !== DER_SEQUENCE || outer.end !== messageDer.length) return undefined;
  const parts = childrenOf(messageDer, outer);
  if (!parts || parts.length < 2) return undefined;
  return derTlv(DER_SEQUENCE, messageDer.subarray(parts[0]!.start, parts[1]!.end));
}

/** A fresh PBM for a request: the algorithm identifier to put in its header. */
export function newPbm(): AlgorithmIdentifier {
  const parameters = new PBMParameter({
    salt: new OctetString(crypto.randomBytes(16)),
    owf: new AlgorithmIdentifier({ algorithm: SEND.owf }),
    iterationCount: SEND.iterations,
    mac: new AlgorithmIdentifier({ algorithm: SEND.mac }),
  });
  return new AlgorithmIdentifier({ algorithm: PBM_OID, parameters: AsnConvert.serialize(parameters) });
}

/** The PBM value over `protectedPart`; undefined when the parameters name what the station does not do. */
export function pbmValue(algorithm: AlgorithmIdentifier, secret: string, protectedPart: Uint8Array) {
  if (algorithm.algorithm !== PBM_OID || !algorithm.parameters) return undefined;
  const parameters = AsnConvert.parse(algorithm.parameters, PBMParameter);
  const owf = OWF[parameters.owf.algorithm];
  const hmac = HMAC[parameters.mac.algorithm];
  const iterations = parameters.iterationCount;
  if (!owf || !hmac || iterations < 1 || iterations > MAX_ITERATIONS) return undefined;
  let key = Buffer.concat([Buffer.from(secret, 'utf8'), Buffer.from(parameters.salt.buffer)]);
  for (let i = 0; i < iterations; i++) key = crypto.createHash(owf).update(key).digest();
  return crypto.createHmac(hmac, key).update(protectedPart).digest();
}

/** Whether `protection` is the PBM value of the message under `secret` (compared in constant time). */
export function pbmVerifies(
  algorithm: AlgorithmIdentifier,
  secret: string,
  protectedPart: Uint8Array,
  protection: Uint8Array,
): boolean {
  const expected = pbmValue(algorithm, secret, protectedPart);
  return (
    expected !== undefined && expected.length === protection.length && crypto.timingSafeEqual(expected, protection)
  );
}

/** The signature algorithm for a key the station signs requests with (its hash as the key's size suggests). */
export function signatureAlgorithmFor(key: crypto.KeyObject): { oid: string; hash: string } {
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve === 'secp384r1') return { oid: '1.2.840.10045.4.3.3', hash: 'sha384' };
    return { oid: '1.2.840.10045.4.3.2', hash: 'sha256' };
  }
  return { oid: '1.2.840.113549.1.1.11', hash: 'sha256' };
}

export function signProtectedPart(key: crypto.KeyObject, hash: string, protectedPart: Uint8Array): Buffer {
  return crypto.sign(hash, protectedPart, { key, dsaEncoding: 'der' });
}

/** Whether `signerKey` signed `protectedPart`; undefined for an algorithm the station does not check. */
export function signatureOverVerifies(
  algorithmOid: string,
  signerKey: crypto.KeyObject,
  protectedPart: Uint8Array,
  protection: Uint8Array,
): Promise<boolean | undefined> {
  if (SIGNATURE_HASHES[algorithmOid] === undefined) return Promise.resolve(undefined);
  const bitString = derTlv(0x03, Uint8Array.of(0), protection);
  return signatureVerifies(
    {
      info: protectedPart,
      algorithmOid: new Uint8Array(),
      algorithmOidText: algorithmOid,
      hasParameters: false,
      signature: bitString,
    },
    signerKey,
  );
}
