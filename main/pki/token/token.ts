// A PKCS#11 token holding the CA keys (#20), through node-webcrypto-p11 (a WebCrypto over the
// token; the native addon is loaded only when a token is used). Keys are made inside the token,
// sensitive and never extractable; every signature is the token's. Failures are coded: a module
// that does not load or a token that is not there → CA_TOKEN_UNAVAILABLE; a wrong or locked PIN →
// CA_PIN_WRONG; a key that is not in the token → CA_TOKEN_KEY_MISSING; no room for a new key →
// CA_TOKEN_FULL.
import { EnrollerError } from '../../../shared/errors';
import type { CryptoKeyPair } from '../crypto';
import type { Pkcs11Uri } from './pkcs11-uri';

type P11Crypto = import('node-webcrypto-p11').Crypto;
type P11Key = import('node-webcrypto-p11').CryptoKey;

export interface OpenToken {
  readonly crypto: P11Crypto;
  readonly label: string;
  readonly serial: string;
  close(): void;
}

/** The PKCS#11 libraries, loaded on first use: a station without a token never loads the native addon. */
async function libraries() {
  const [webcrypto, graphene] = await Promise.all([import('node-webcrypto-p11'), import('graphene-pk11')]);
  return { Crypto: webcrypto.Crypto, Module: graphene.Module };
}

export async function openToken(uri: Pkcs11Uri, pin: string): Promise<OpenToken> {
  const { Crypto, Module } = await libraries();
  const slot = findSlot(uri, Module);
  try {
    const crypto = new Crypto({ library: uri.modulePath, slot: slot.index, readWrite: true, pin });
    return { crypto, label: slot.label, serial: slot.serial, close: () => crypto.close() };
  } catch (error) {
    throw tokenError(error, slot.label);
  }
}

export async function generateTokenKeyPair(token: OpenToken, label: string): Promise<CryptoKeyPair> {
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', token: true, sensitive: true, label };
  try {
    return (await token.crypto.subtle.generateKey(algorithm, false, ['sign', 'verify'])) as unknown as CryptoKeyPair;
  } catch (error) {
    throw keyMakingError(error, token.label);
  }
}

/** Removes the key pair labelled `label` (a ceremony that failed half-way leaves no stray key). */
export async function removeTokenKeyPair(token: OpenToken, label: string): Promise<void> {
  for (const index of await token.crypto.keyStorage.keys()) {
    const key = await token.crypto.keyStorage.getItem(index);
    if (key && labelOf(key) === label) await token.crypto.keyStorage.removeItem(index);
  }
}

/** The key pair labelled `label` in the token. */
export async function tokenKeyPair(token: OpenToken, label: string): Promise<CryptoKeyPair> {
  const found: Partial<Record<'private' | 'public', P11Key>> = {};
  for (const index of await token.crypto.keyStorage.keys()) {
    const key = await token.crypto.keyStorage.getItem(index);
    if (key && labelOf(key) === label && (key.type === 'private' || key.type === 'public'))
      found[key.type as 'private' | 'public'] = key;
  }
  if (!found.private || !found.public) {
    throw new EnrollerError(
      'CA_TOKEN_KEY_MISSING',
      `Token "${token.label}" (serial ${token.serial}) holds no key pair labelled "${label}": is it the CA's token?`,
      { token: token.label, serial: token.serial, label },
    );
  }
  return { privateKey: found.private, publicKey: found.public } as unknown as CryptoKeyPair;
}

function labelOf(key: P11Key): string | undefined {
  return key.algorithm.label ?? (key.p11Object as { label?: string } | undefined)?.label;
}

function findSlot(
  uri: Pkcs11Uri,
  Module: typeof import('graphene-pk11').Module,
): { index: number; label: string; serial: string } {
  let module: import('graphene-pk11').Module;
  try {
    module = Module.load(uri.modulePath);
    module.initialize();
  } catch (error) {
    throw new EnrollerError(
      'CA_TOKEN_UNAVAILABLE',
      `The PKCS#11 module ${uri.modulePath} cannot be loaded (${(error as Error).message}).`,
      { modulePath: uri.modulePath },
    );
  }
  try {
    const slots = module.getSlots(true);
    for (let index = 0; index < slots.length; index++) {
      const token = slots.items(index).getToken();
      const label = token.label.trim();
      const serial = token.serialNumber.trim();
      if ((uri.token === undefined || uri.token === label) && (uri.serial === undefined || uri.serial === serial))
        return { index, label, serial };
    }
  } finally {
    module.finalize();
  }
  const which = uri.token ? `labelled "${uri.token}"` : `with serial ${uri.serial}`;
  throw new EnrollerError(
    'CA_TOKEN_UNAVAILABLE',
    `No token ${which} is present in ${uri.modulePath}: plug the CA's token in (or check its label).`,
    { token: uri.token, serial: uri.serial },
  );
}

/**
 * A token that could not make a key. CKR_DEVICE_MEMORY is the standard "token full"; SoftHSM2 says
 * CKR_FUNCTION_FAILED when its store cannot be written (a full or read-only disk, measured), which a
 * person meets as the same thing: no room for the key.
 */
export function keyMakingError(error: unknown, label: string): EnrollerError {
  const message = (error as Error).message ?? String(error);
  if (/CKR_DEVICE_MEMORY/.test(message))
    return new EnrollerError(
      'CA_TOKEN_FULL',
      `Token "${label}" is full: it has no room for another key. Delete keys it no longer needs with the ` +
        "token's own tool, or use another token. No key was made.",
      { token: label },
    );
  if (/CKR_FUNCTION_FAILED/.test(message))
    return new EnrollerError(
      'CA_TOKEN_FULL',
      `Token "${label}" could not store a new key (${message.trim()}): it is probably full or cannot be ` +
        'written. Free room in it or use another token. No key was made.',
      { token: label },
    );
  return tokenError(error, label);
}

/** A token's failure as a coded error a person can act on. */
export function tokenError(error: unknown, label: string): EnrollerError {
  const message = (error as Error).message ?? String(error);
  if (/CKR_PIN_INCORRECT|CKR_PIN_INVALID|CKR_PIN_LEN_RANGE/.test(message))
    return new EnrollerError('CA_PIN_WRONG', `The PIN for token "${label}" is wrong.`, { token: label });
  if (/CKR_PIN_LOCKED/.test(message))
    return new EnrollerError('CA_PIN_WRONG', `Token "${label}" is locked after too many wrong PINs.`, {
      token: label,
    });
  return new EnrollerError(
    'CA_TOKEN_UNAVAILABLE',
    `Token "${label}" failed (${message}): is it still plugged in? Nothing was issued with it; run again once it is.`,
    { token: label },
  );
}
