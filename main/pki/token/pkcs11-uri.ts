// RFC 7512 PKCS#11 URIs: `pkcs11:token=floor-ca;object=issuing?module-path=/usr/lib/…so&pin-source=file:/p`.
// Path attributes name the token and the object; query attributes say which module to load and
// where the PIN comes from. Values are percent-decoded; a PIN in the URI itself (pin-value) is refused:
// secrets never travel in argv.
import { EnrollerError } from '../../../shared/errors';

export interface Pkcs11Uri {
  readonly token?: string;
  readonly serial?: string;
  readonly manufacturer?: string;
  readonly model?: string;
  /** The key's label (CKA_LABEL). */
  readonly object?: string;
  readonly id?: string;
  readonly modulePath: string;
  /** `file:/path` only: the PIN is read from that file. */
  readonly pinFile?: string;
}

const PATH_ATTRIBUTES = new Set(['token', 'serial', 'manufacturer', 'model', 'object', 'id', 'type', 'slot-id']);

export function parsePkcs11Uri(text: string): Pkcs11Uri {
  const invalid = (why: string) =>
    new EnrollerError('CA_TOKEN_URI_INVALID', `"${text}" is not a PKCS#11 URI the station can use: ${why}.`);
  if (!text.startsWith('pkcs11:')) throw invalid('it must start with pkcs11:');
  const [pathPart = '', queryPart = ''] = text.slice('pkcs11:'.length).split('?', 2);
  const path = attributes(pathPart, ';', invalid);
  const query = attributes(queryPart, '&', invalid);
  for (const name of Object.keys(path)) if (!PATH_ATTRIBUTES.has(name)) throw invalid(`unknown attribute "${name}"`);
  if (query['pin-value'] !== undefined) throw invalid('a PIN in the URI would be on the command line; use pin-source');
  const modulePath = query['module-path'];
  if (!modulePath) throw invalid('module-path is missing (the PKCS#11 library to load)');
  if (!path.token && !path.serial) throw invalid('name the token (token=LABEL or serial=SERIAL)');
  const pinSource = query['pin-source'];
  if (pinSource !== undefined && !pinSource.startsWith('file:')) throw invalid('pin-source must be file:/path');
  return {
    modulePath,
    ...pick(path, ['token', 'serial', 'manufacturer', 'model', 'object', 'id']),
    ...(pinSource ? { pinFile: pinSource.replace(/^file:(\/\/)?/, '') } : {}),
  };
}

/** The URI without its PIN source: what the station stores and shows. */
export function formatPkcs11Uri(uri: Pkcs11Uri): string {
  const path = (['token', 'serial', 'object', 'id'] as const)
    .filter((k) => uri[k] !== undefined)
    .map((k) => `${k}=${encodeURIComponent(uri[k]!)}`)
    .join(';');
  return `pkcs11:${path}?module-path=${encodeURIComponent(uri.modulePath).replace(/%2F/g, '/')}`;
}

function attributes(part: string, separator: string, invalid: (why: string) => EnrollerError): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of part.split(separator).filter(Boolean)) {
    const at = pair.indexOf('=');
    if (at <= 0) throw invalid(`"${pair}" is not name=value`);
    const name = pair.slice(0, at).toLowerCase();
    try {
      out[name] = decodeURIComponent(pair.slice(at + 1));
    } catch {
      throw invalid(`the value of ${name} is not percent-encoded correctly`);
    }
  }
  return out;
}

function pick(from: Record<string, string>, names: readonly string[]): Record<string, string> {
  return Object.fromEntries(names.filter((n) => from[n] !== undefined).map((n) => [n, from[n]!]));
}
