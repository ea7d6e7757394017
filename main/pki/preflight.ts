// Preflight: before anything is written to a device, say in plain words what a cloud would
// reject about it. Pure: certificates in, findings out; nothing here talks to a device.
import { x509 } from './crypto';

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
  | 'TOO_LONG_FOR_DEVICE';

export interface Finding {
  readonly code: PreflightCode;
  readonly severity: 'error' | 'warning';
  readonly message: string;
}

export interface PreflightInput {
  /** What goes into the client certificate slot: the leaf first, then intermediates. */
  readonly chain: readonly x509.X509Certificate[];
  readonly deviceId: string;
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
  await checkSignatures(chain, input.trustAnchors, add);
  checkValidity(chain, input.now ?? new Date(), add);
  checkLeaf(chain, input, add);
  return findings;
}

/** Each certificate signed by the next, and the last by a trust anchor. */
async function checkSignatures(chain: x509.X509Certificate[], trustAnchors: PreflightInput['trustAnchors'], add: Add) {
  for (let i = 0; i + 1 < chain.length; i++) {
    const child = chain[i]!;
    const parent = chain[i + 1]!;
    if (child.issuer !== parent.subject) {
      add('CHAIN_BROKEN', `"${child.subject}" was issued by "${child.issuer}", which is not in the chain.`);
      continue;
    }
    if (!(await verifies(child, parent)))
      add(
        'SIGNATURE_INVALID',
        `The signature on "${child.subject}" does not verify with the key of "${parent.subject}".`,
      );
  }

  const top = chain.at(-1)!;
  const anchor = trustAnchors.find((a) => a.subject === top.issuer) ?? (top.subject === top.issuer ? top : undefined);
  if (!anchor) add('UNTRUSTED_ROOT', `The chain ends at "${top.issuer}", which is not among the trust anchors.`);
  else if (!(await verifies(top, anchor)))
    add(
      'SIGNATURE_INVALID',
      `The signature on "${top.subject}" does not verify with the trust anchor "${anchor.subject}".`,
    );
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

/** What the device and its cloud need of the leaf: its name, its purpose, its key, and room for it all. */
function checkLeaf(chain: x509.X509Certificate[], input: PreflightInput, add: Add) {
  const leaf = chain[0]!;

  const cn = /(?:^|,\s*)CN=([^,]+)/.exec(leaf.subject)?.[1];
  if (cn !== input.deviceId)
    add(
      'CN_MISMATCH',
      `The certificate's CN is "${cn ?? '(none)'}", but the device registers as "${input.deviceId}"; clouds such as ` +
        `Azure DPS require them to match.`,
    );
  const eku = leaf.getExtension(x509.ExtendedKeyUsageExtension);
  if (!eku?.usages.map(String).includes('1.3.6.1.5.5.7.3.2'))
    add(
      'MISSING_CLIENT_AUTH',
      'The certificate does not allow TLS client authentication (extended key usage clientAuth is missing).',
    );
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
    const chainPem = chain.map((c) => c.toString('pem')).join('\n');
    if (Buffer.byteLength(chainPem) > input.maxPemBytes) {
      add(
        'TOO_LONG_FOR_DEVICE',
        `The chain is ${Buffer.byteLength(chainPem)} bytes as PEM; the device accepts at most ${input.maxPemBytes} ` +
          `in one write. Shorten the chain or use EC keys.`,
      );
    }
  }
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

async function verifies(child: x509.X509Certificate, parent: x509.X509Certificate): Promise<boolean> {
  try {
    return await child.verify({ publicKey: parent.publicKey, signatureOnly: true });
  } catch {
    return false;
  }
}
