// Preflight: before anything is written to a device, say in plain words what a cloud would
// reject about it. Pure: certificates in, findings out; nothing here talks to a device. The
// chain's own soundness is checked for every device; a cloud's rules (cloud-rules.ts) on top.
import type { CloudTarget } from '../../shared/device-type';
import { fingerprintOf } from './authority/local-authority';
import { CLOUD_RULES, type CloudRules } from './cloud-rules';
import { describeKey, keyShapeOf } from './key-shape';
import { x509 } from './crypto';
import { signedBy } from './signed-by';
import { certificatePem } from './pem';

export type PreflightCode =
  | 'CHAIN_EMPTY'
  | 'CHAIN_ORDER'
  | 'CHAIN_BROKEN'
  | 'SIGNATURE_INVALID'
  | 'NOT_YET_VALID'
  | 'EXPIRED'
  | 'CN_MISMATCH'
  | 'MISSING_CLIENT_AUTH'
  | 'KEY_MISMATCH'
  | 'UNTRUSTED_ROOT'
  | 'SERVER_ROOT_MISSING'
  | 'TOO_LONG_FOR_DEVICE'
  | 'KEY_NOT_ACCEPTED'
  | 'CA_NOT_VERIFIED'
  | 'NOT_BACKDATED';

export interface Finding {
  readonly code: PreflightCode;
  readonly severity: 'error' | 'warning';
  readonly message: string;
}

export interface PreflightInput {
  /** What goes into the client certificate slot: the leaf first, then intermediates. */
  readonly chain: readonly x509.X509Certificate[];
  /** The cloud whose rules apply (default none: only the chain's own soundness). */
  readonly cloud?: CloudTarget | undefined;
  /** The ID the device registers with in its cloud: the leaf's CN must be it where the cloud says so. */
  readonly registrationId?: string | undefined;
  /** SHA-256 fingerprints (hex) of the CAs the cloud has verified; undefined when not known. */
  readonly verifiedCas?: readonly string[] | undefined;
  /** The key the device generated (from its CSR): the leaf must carry exactly this key. */
  readonly devicePublicKeySpki?: Uint8Array;
  /** The roots that will be installed on the device / that the cloud trusts for this chain. */
  readonly trustAnchors: readonly x509.X509Certificate[];
  /** The root of the cloud's TLS server certificate, which the device needs to connect. */
  readonly serverRoot?: x509.X509Certificate;
  /** Largest PEM the device accepts in one write (nRF91: what fits in 4093 bytes of AT%CMNG). */
  readonly maxPemBytes?: number;
  readonly now?: Date;
}

type Add = (code: PreflightCode, message: string, severity?: Finding['severity']) => void;

export async function preflight(input: PreflightInput): Promise<Finding[]> {
  const findings: Finding[] = [];
  const add: Add = (code, message, severity = 'error') => findings.push({ code, severity, message });
  if (input.chain.length === 0) {
    add('CHAIN_EMPTY', 'There is no certificate to write.');
    return findings;
  }
  const chain = leafFirst(input.chain);
  if (chain.some((c, i) => c !== input.chain[i])) {
    add(
      'CHAIN_ORDER',
      `The chain is out of order: the device certificate goes first, then each issuer: ` +
        `${chain.map((c) => `"${c.subject}"`).join(' → ')}.`,
    );
  }
  const anchor = await checkSignatures(chain, input.trustAnchors, add);
  checkValidity(chain, input.now ?? new Date(), add);
  checkLeaf(chain, input, add);
  const rules = input.cloud && input.cloud !== 'none' ? CLOUD_RULES[input.cloud] : undefined;
  if (rules) checkCloud(rules, chain, anchor, input, add);
  return findings;
}

/** The findings that stop a write (warnings do not). */
export function blocking(findings: readonly Finding[]): Finding[] {
  return findings.filter((f) => f.severity === 'error');
}

/** Each certificate signed by the next, and the last by a trust anchor (returned, when found). */
async function checkSignatures(
  chain: x509.X509Certificate[],
  trustAnchors: PreflightInput['trustAnchors'],
  add: Add,
): Promise<x509.X509Certificate | undefined> {
  for (let i = 0; i + 1 < chain.length; i++) {
    const child = chain[i]!;
    const parent = chain[i + 1]!;
    if (child.issuer !== parent.subject) {
      add('CHAIN_BROKEN', `"${child.subject}" was issued by "${child.issuer}", which is not in the chain.`);
      continue;
    }
    if (!(await signedBy(child, parent, { remember: i > 0 })))
      add(
        'SIGNATURE_INVALID',
        `The signature on "${child.subject}" does not verify with the key of "${parent.subject}".`,
      );
  }

  const top = chain.at(-1)!;
  const anchor = trustAnchors.find((a) => a.subject === top.issuer) ?? (top.subject === top.issuer ? top : undefined);
  if (!anchor) add('UNTRUSTED_ROOT', `The chain ends at "${top.issuer}", which is not among the trust anchors.`);
  else if (!(await signedBy(top, anchor, { remember: chain.length > 1 })))
    add(
      'SIGNATURE_INVALID',
      `The signature on "${top.subject}" does not verify with the trust anchor "${anchor.subject}".`,
    );
  return anchor;
}

function checkValidity(chain: x509.X509Certificate[], now: Date, add: Add) {
  for (const cert of chain) {
    if (cert.notBefore > now) {
      add(
        'NOT_YET_VALID',
        `"${cert.subject}" is valid only from ${cert.notBefore.toISOString()}; a device whose clock is behind will ` +
          `reject it (check the station's clock).`,
      );
    }
    if (cert.notAfter < now) add('EXPIRED', `"${cert.subject}" expired on ${cert.notAfter.toISOString()}.`);
  }
}

/** What the device needs of the leaf: its own key, the cloud's server root beside it, and room for it all. */
function checkLeaf(chain: x509.X509Certificate[], input: PreflightInput, add: Add) {
  const leaf = chain[0]!;

  if (
    input.devicePublicKeySpki &&
    !Buffer.from(leaf.publicKey.rawData).equals(Buffer.from(input.devicePublicKeySpki))
  ) {
    add(
      'KEY_MISMATCH',
      'The certificate carries a different key from the one the device generated: the device could not use it.',
    );
  }
  if (
    input.serverRoot &&
    !input.trustAnchors.some((a) => Buffer.from(a.rawData).equals(Buffer.from(input.serverRoot!.rawData)))
  ) {
    add(
      'SERVER_ROOT_MISSING',
      `The device will not trust the cloud's server: its root "${input.serverRoot.subject}" is not among the ` +
        `certificates to install.`,
    );
  }
  if (input.maxPemBytes !== undefined) {
    const chainPem = chain.map(certificatePem).join('\n');
    if (Buffer.byteLength(chainPem) > input.maxPemBytes) {
      add(
        'TOO_LONG_FOR_DEVICE',
        `The chain is ${Buffer.byteLength(chainPem)} bytes as PEM; the device accepts at most ${input.maxPemBytes} ` +
          `in one write. Shorten the chain or use EC keys.`,
      );
    }
  }
}

/** What the cloud asks: the registration ID as CN, clientAuth, a key it takes, a CA it verified, a back-dated start. */
function checkCloud(
  rules: CloudRules,
  chain: x509.X509Certificate[],
  anchor: x509.X509Certificate | undefined,
  input: PreflightInput,
  add: Add,
): void {
  const leaf = chain[0]!;
  const cn = /(?:^|,\s*)CN=([^,]+)/.exec(leaf.subject)?.[1];
  const wanted = input.registrationId;
  if (wanted !== undefined && cn !== wanted)
    add(
      'CN_MISMATCH',
      `The certificate's CN is "${cn ?? '(none)'}", but the device registers with ${rules.name} as "${wanted}": ` +
        `${rules.name} refuses a device whose certificate names another.`,
    );
  if (rules.cnIsRegistrationId === 'always' && input.registrationId === undefined)
    add(
      'CN_MISMATCH',
      `The certificate's CN "${cn ?? '(none)'}" was not checked: ${rules.name} registers a device by it, so give ` +
        'the registration ID the device will use.',
      'warning',
    );
  const eku = leaf.getExtension(x509.ExtendedKeyUsageExtension);
  if (rules.clientAuth && !eku?.usages.map(String).includes('1.3.6.1.5.5.7.3.2'))
    add(
      'MISSING_CLIENT_AUTH',
      `The certificate does not allow TLS client authentication (extended key usage clientAuth is missing); ` +
        `${rules.name} authenticates devices by it.`,
    );
  const key = keyShapeOf(new Uint8Array(leaf.publicKey.rawData));
  if (!rules.keys.accepts(key))
    add('KEY_NOT_ACCEPTED', `The device key is ${describeKey(key)}; ${rules.name} accepts ${rules.keys.words}.`);
  if (rules.verifiedCa) checkVerifiedCa(rules, [...chain.slice(1), ...(anchor ? [anchor] : [])], input, add);
  const now = input.now ?? new Date();
  if (leaf.notBefore <= now && now.getTime() - leaf.notBefore.getTime() < BACKDATE_MS)
    add(
      'NOT_BACKDATED',
      `The certificate is valid only from ${leaf.notBefore.toISOString()}, moments ago: a device whose clock lags ` +
        `the station's (an nRF91 before it has network time) may refuse it. Issuers should back-date notBefore by ` +
        `a few minutes, as the station CA does.`,
      'warning',
    );
}

/** A device without a clock of its own may lag this much; a start closer to now is worth a warning. */
const BACKDATE_MS = 60_000;

function checkVerifiedCa(rules: CloudRules, cas: x509.X509Certificate[], input: PreflightInput, add: Add): void {
  const names = cas.map((c) => `"${c.subject}"`).join(', ') || 'none';
  if (input.verifiedCas === undefined) {
    add(
      'CA_NOT_VERIFIED',
      `${rules.name} accepts this chain only if one of its CAs (${names}) is verified there by proof of ` +
        `possession (\`ca verification-cert\`); give its SHA-256 fingerprint (the device ` +
        `type's cloud.verifiedCas, or preflight --verified-ca) so the station can check it.`,
      'warning',
    );
    return;
  }
  const verified = new Set(input.verifiedCas.map((f) => f.replace(/:/g, '').toLowerCase()));
  if (!cas.some((c) => verified.has(fingerprintOf(c))))
    add(
      'CA_NOT_VERIFIED',
      `None of the chain's CAs (${names}) is among the CAs verified in ${rules.name}: the device would be refused. ` +
        `Verify its CA there by proof of possession (\`ca verification-cert\`) and list its fingerprint.`,
    );
}

/** The leaf (issuer of nothing here) followed by its issuers; unrelated leftovers at the end. */
function leafFirst(certificates: readonly x509.X509Certificate[]): x509.X509Certificate[] {
  const leaf =
    certificates.find((c) => !certificates.some((other) => other !== c && other.issuer === c.subject)) ??
    certificates[0]!;
  const ordered = [leaf];
  for (let next = certificates.find((c) => c !== leaf && c.subject === leaf.issuer); next && !ordered.includes(next);) {
    ordered.push(next);
    const current: x509.X509Certificate = next;
    next = certificates.find((c) => !ordered.includes(c) && c.subject === current.issuer);
  }
  return [...ordered, ...certificates.filter((c) => !ordered.includes(c))];
}
