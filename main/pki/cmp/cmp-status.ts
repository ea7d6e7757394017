// PKIStatus and PKIFailureInfo (RFC 4210 §5.2.3, RFC 9480) in words a technician or a PKI engineer
// can act on: every failure bit by its ASN.1 name and what it means.
import type { PKIStatusInfo } from './cmp-schema';

export const PKI_STATUS = [
  'accepted',
  'grantedWithMods',
  'rejection',
  'waiting',
  'revocationWarning',
  'revocationNotification',
  'keyUpdateWarning',
] as const;

/** PKIFailureInfo ::= BIT STRING, bit by bit. */
export const FAILURE_INFO: ReadonlyArray<readonly [name: string, meaning: string]> = [
  ['badAlg', 'the server does not accept the algorithm used'],
  ['badMessageCheck', "the request's protection did not verify (a wrong shared secret or signature)"],
  ['badRequest', 'the request is not allowed or not understood'],
  ['badTime', "the request's time is too far from the server's clock"],
  ['badCertId', 'no certificate matches the identifier given'],
  ['badDataFormat', 'the data is in the wrong format'],
  ['wrongAuthority', 'the authority named is not this one'],
  ['incorrectData', 'the request data is incorrect'],
  ['missingTimeStamp', 'a time stamp was required and is missing'],
  ['badPOP', 'the proof of possession of the key failed'],
  ['certRevoked', 'the certificate is revoked already'],
  ['certConfirmed', 'the certificate was confirmed already'],
  ['wrongIntegrity', 'the wrong kind of protection was used (MAC instead of signature, or the other way)'],
  ['badRecipientNonce', 'the recipient nonce is missing or wrong'],
  ['timeNotAvailable', 'the time source is not available'],
  ['unacceptedPolicy', 'the requested policy is not accepted'],
  ['unacceptedExtension', 'the requested extension is not accepted'],
  ['addInfoNotAvailable', 'additional information is not available'],
  ['badSenderNonce', 'the sender nonce is missing or wrong'],
  ['badCertTemplate', 'the certificate template (the CSR content) is not acceptable'],
  ['signerNotTrusted', "the request's signer is not trusted"],
  ['transactionIdInUse', 'the transaction ID is in use already'],
  ['unsupportedVersion', 'the CMP version is not supported'],
  ['notAuthorized', 'the requester is not authorized for this'],
  ['systemUnavail', 'the system is unavailable (try again later)'],
  ['systemFailure', 'the system failed'],
  ['duplicateCertReq', 'a certificate was requested for this key already'],
];

/** The failure bits that are set, by name (bit 0 is the first, most significant, bit). */
export function failureNames(statusInfo: PKIStatusInfo): string[] {
  const bits = statusInfo.failInfo;
  if (!bits) return [];
  const bytes = new Uint8Array(bits.value);
  const names: string[] = [];
  for (let bit = 0; bit < bytes.length * 8 - bits.unusedBits; bit++) {
    if (bytes[bit >> 3]! & (0x80 >> (bit & 7))) names.push(FAILURE_INFO[bit]?.[0] ?? `bit${bit}`);
  }
  return names;
}

/** "rejection: badPOP — the proof of possession of the key failed; "the server's text"". */
export function statusWords(statusInfo: PKIStatusInfo): string {
  const status = PKI_STATUS[statusInfo.status] ?? `status ${statusInfo.status}`;
  const failures = failureNames(statusInfo).map((name) => {
    const meaning = FAILURE_INFO.find(([n]) => n === name)?.[1];
    return meaning ? `${name} — ${meaning}` : name;
  });
  const text = statusInfo.statusString?.length ? ` ("${[...statusInfo.statusString].join(' ')}")` : '';
  return `${status}${failures.length ? `: ${failures.join('; ')}` : ''}${text}`;
}
