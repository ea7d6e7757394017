// Creating the station's embedded CA: a root and an issuing CA under it. The issuing CA can
// sign only end-entity certificates (pathLen 0) and may carry name constraints.
import { AsnConvert } from '@peculiar/asn1-schema';
import * as asn1X509 from '@peculiar/asn1-x509';
import { x509, webcrypto, type CryptoKeyPair } from '../crypto';
import { randomSerial, type RandomSource } from './serial';

export type CaKeyAlgorithm = 'ec-p256' | 'rsa-2048';

export const CA_ALGORITHMS = {
  'ec-p256': { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' },
  'rsa-2048': {
    name: 'RSASSA-PKCS1-v1_5',
    modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: 'SHA-256',
  },
} as const;

export interface NameConstraints {
  /** dNSName subtrees, e.g. ".devices.example.com". */
  readonly permittedDns?: readonly string[];
  readonly excludedDns?: readonly string[];
}

export interface CaInitOptions {
  readonly keyAlgorithm?: CaKeyAlgorithm;
  /** Root subject, e.g. "CN=Floor Enroller Root CA,O=Example Factory". */
  readonly subject?: string;
  readonly nameConstraints?: NameConstraints;
  readonly now?: Date;
  readonly rootValidityYears?: number;
  readonly issuingValidityYears?: number;
  /** Fixed keys and serial source: for known-answer tests only. */
  readonly keys?: { readonly root: CryptoKeyPair; readonly issuing: CryptoKeyPair };
  readonly random?: RandomSource;
  /** The WebCrypto the keys belong to, when it is not Node's (a PKCS#11 token's, #20). */
  readonly crypto?: unknown;
}

export interface CaPair {
  readonly certificate: x509.X509Certificate;
  readonly keys: CryptoKeyPair;
}

/** Unencrypted PKCS#8 of a key made here: encrypt it before it goes anywhere (key-vault.ts). */
export async function pkcs8Of(pair: CaPair): Promise<Uint8Array> {
  return new Uint8Array(await webcrypto.subtle.exportKey('pkcs8', pair.keys.privateKey));
}

type GeneratorKeys = Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]['keys'];

export async function generateKeyPair(algorithm: CaKeyAlgorithm): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(CA_ALGORITHMS[algorithm], true, ['sign', 'verify'])) as CryptoKeyPair;
}

export async function createCa(options: CaInitOptions = {}): Promise<{ root: CaPair; issuing: CaPair }> {
  const algorithm = options.keyAlgorithm ?? 'ec-p256';
  const signing = CA_ALGORITHMS[algorithm];
  const now = options.now ?? new Date();
  const rootSubject = options.subject ?? 'CN=Floor Enroller Root CA,O=Floor Enroller';
  const issuingSubject = issuingNameFor(rootSubject);
  const rootKeys = options.keys?.root ?? (await generateKeyPair(algorithm));
  const issuingKeys = options.keys?.issuing ?? (await generateKeyPair(algorithm));
  const provider = options.crypto as Parameters<typeof x509.X509CertificateGenerator.create>[1];

  const root = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: randomSerial(options.random),
      name: rootSubject,
      notBefore: now,
      notAfter: addYears(now, options.rootValidityYears ?? 25),
      keys: rootKeys as unknown as GeneratorKeys,
      signingAlgorithm: signing,
      extensions: [
        new x509.BasicConstraintsExtension(true, 1, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(rootKeys.publicKey as never, false, provider),
      ],
    },
    provider,
  );

  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(true, 0, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    await x509.SubjectKeyIdentifierExtension.create(issuingKeys.publicKey as never, false, provider),
    await x509.AuthorityKeyIdentifierExtension.create(root, false, provider),
  ];
  if (options.nameConstraints) extensions.push(nameConstraintsExtension(options.nameConstraints));
  const issuing = await x509.X509CertificateGenerator.create(
    {
      serialNumber: randomSerial(options.random),
      subject: issuingSubject,
      issuer: root.subject,
      notBefore: now,
      notAfter: addYears(now, options.issuingValidityYears ?? 15),
      publicKey: issuingKeys.publicKey as never,
      signingKey: rootKeys.privateKey as never,
      signingAlgorithm: signing,
      extensions,
    },
    provider,
  );

  return { root: { certificate: root, keys: rootKeys }, issuing: { certificate: issuing, keys: issuingKeys } };
}

function issuingNameFor(rootSubject: string): string {
  return /CN=[^,]*/.test(rootSubject)
    ? rootSubject.replace(/CN=([^,]*?)(\s*Root)?(\s*CA)?(?=,|$)/, 'CN=$1 Issuing CA')
    : `CN=Floor Enroller Issuing CA,${rootSubject}`;
}

export function nameConstraintsExtension(constraints: NameConstraints): x509.Extension {
  const subtrees = (names: readonly string[] | undefined) =>
    names && names.length > 0
      ? new asn1X509.GeneralSubtrees(
          names.map((dNSName) => new asn1X509.GeneralSubtree({ base: new asn1X509.GeneralName({ dNSName }) })),
        )
      : undefined;
  const value = new asn1X509.NameConstraints({});
  const permitted = subtrees(constraints.permittedDns);
  const excluded = subtrees(constraints.excludedDns);
  if (permitted) value.permittedSubtrees = permitted;
  if (excluded) value.excludedSubtrees = excluded;
  return new x509.Extension(asn1X509.id_ce_nameConstraints, true, AsnConvert.serialize(value));
}

export function addYears(date: Date, years: number): Date {
  const next = new Date(date);
  next.setUTCFullYear(next.getUTCFullYear() + years);
  return next;
}
