// The station CA with its keys in a PKCS#11 token (#20): `ca init --pkcs11 URI` makes the root and
// issuing key pairs inside the token (sensitive, never extractable) and the CA certificates with
// them; the station keeps only where the keys are (the URI without any PIN, the token's label and
// serial, each key's label). Unlocking opens the token with its PIN — from the URI's pin-source
// file, else the passphrase the person gave — and every signature is the token's.
import fs from 'node:fs';
import { createCa, type CaInitOptions } from '../pki/authority/ca-init';
import type { IssuanceLedger } from '../pki/authority/ledger';
import { LocalAuthority, type AuthorityMaterial } from '../pki/authority/local-authority';
import { tokenSigningKey } from '../pki/authority/signing-key';
import type { CryptoKey, x509 } from '../pki/crypto';
import { formatPkcs11Uri, parsePkcs11Uri } from '../pki/token/pkcs11-uri';
import {
  generateTokenKeyPair,
  openToken,
  removeTokenKeyPair,
  tokenError,
  tokenKeyPair,
  type OpenToken,
} from '../pki/token/token';

/** Where a token CA's keys are, as stored beside its certificate (no PIN, ever). */
export interface KeyLocation {
  readonly kind: 'pkcs11';
  readonly uri: string;
  readonly token: string;
  readonly serial: string;
  readonly labels: { readonly root?: string; readonly issuing: string };
  /** Where the PIN is read from at unlock, when the URI named a pin-source file. */
  readonly pinFile?: string;
}

export async function createCaInToken(options: CaInitOptions & { uri: string; pin: string }): Promise<{
  root: { certificate: x509.X509Certificate };
  issuing: { certificate: x509.X509Certificate };
  location: KeyLocation;
}> {
  const uri = parsePkcs11Uri(options.uri);
  const base = uri.object ?? 'floor-enroller-ca';
  const labels = { root: `${base}-root`, issuing: `${base}-issuing` };
  const token = await openToken(uri, readPin(uri.pinFile) ?? options.pin);
  try {
    const root = await generateTokenKeyPair(token, labels.root);
    const issuing = await generateTokenKeyPair(token, labels.issuing).catch(async (error: unknown) => {
      // A token with room for one key pair but not two: the ceremony made nothing, so nothing stays.
      await removeTokenKeyPair(token, labels.root).catch(() => undefined);
      throw error;
    });
    const keys = { root, issuing };
    const made = await createCa({ ...options, keyAlgorithm: 'ec-p256', keys, crypto: token.crypto });
    const location: KeyLocation = {
      kind: 'pkcs11',
      uri: formatPkcs11Uri(uri),
      token: token.label,
      serial: token.serial,
      labels,
      ...(uri.pinFile ? { pinFile: uri.pinFile } : {}),
    };
    return {
      root: { certificate: made.root.certificate },
      issuing: { certificate: made.issuing.certificate },
      location,
    };
  } finally {
    token.close();
  }
}

/** The CA key labelled in `location`, from its token opened with its PIN (the caller closes the token). */
export async function tokenPrivateKey(
  location: KeyLocation & { label: string },
  passphrase: string,
): Promise<{ privateKey: CryptoKey; token: OpenToken }> {
  const uri = parsePkcs11Uri(location.uri);
  const token = await openToken({ ...uri, serial: location.serial }, readPin(location.pinFile) ?? passphrase);
  try {
    return { privateKey: (await tokenKeyPair(token, location.label)).privateKey, token };
  } catch (error) {
    token.close();
    throw error;
  }
}

/** The issuing CA unlocked from its token; the token stays open while the authority is in use. */
export async function unlockFromToken(
  material: Pick<AuthorityMaterial, 'root' | 'issuing'>,
  location: KeyLocation & { label: string },
  passphrase: string,
  ledger: IssuanceLedger,
): Promise<{ authority: LocalAuthority; token: OpenToken }> {
  const { privateKey, token } = await tokenPrivateKey(location, passphrase);
  const key = {
    cryptoKey: privateKey,
    provider: token.crypto,
    algorithm: { name: 'ECDSA', namedCurve: 'P-256' } as const,
    signing: tokenSigningKey(token.crypto.subtle as never, privateKey, (error) => tokenError(error, token.label)),
  };
  return { authority: await LocalAuthority.withKey(material, key, ledger), token };
}

function readPin(file: string | undefined): string | undefined {
  return file ? fs.readFileSync(file, 'utf8').replace(/\r?\n$/, '') : undefined;
}
