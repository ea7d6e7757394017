// A public key from its SubjectPublicKeyInfo, the quick way where there is one. OpenSSL 3 decodes
// DER through its generic decoder framework (about 0.3 ms a key here); an EC point given as JWK
// coordinates skips it (about half that), and the station proves a CSR's key for every device.
// The point is still checked to lie on its curve by the import.
import crypto from 'node:crypto';
import { keyOfBytes, Recent } from './recent';

/** The fixed DER header of an uncompressed P-256 / P-384 SPKI, up to the 0x04 point marker. */
const EC_HEADERS = [
  { crv: 'P-256', header: Buffer.from('3059301306072a8648ce3d020106082a8648ce3d03010703420004', 'hex'), size: 32 },
  { crv: 'P-384', header: Buffer.from('3076301006072a8648ce3d020106052b8104002203620004', 'hex'), size: 48 },
] as const;

/** An uncompressed P-256 / P-384 key under its named curve, told from its fixed header alone. */
export function isNamedCurveSpki(spki: Uint8Array): boolean {
  const der = Buffer.from(spki.buffer, spki.byteOffset, spki.byteLength);
  return EC_HEADERS.some(
    ({ header, size }) => der.length === header.length + 2 * size && der.subarray(0, header.length).equals(header),
  );
}

/**
 * A device's key is made into a KeyObject where the modem's CSR is checked and again where the CA
 * takes the request in: the second time it is the same immutable object, from the last few hundred.
 */
const madeLately = new Recent<crypto.KeyObject>();

export function publicKeyFromSpki(spki: Uint8Array): crypto.KeyObject {
  const key = keyOfBytes(spki);
  let made = madeLately.get(key);
  if (!made) {
    made = crypto.createPublicKey(publicKeyInput(spki));
    madeLately.keep(key, made);
  }
  return made;
}

/** What `crypto.createPublicKey` takes for this key, the quick way: plain data, so a worker can take it too. */
export function publicKeyInput(spki: Uint8Array): crypto.JsonWebKeyInput | crypto.PublicKeyInput {
  const der = Buffer.from(spki.buffer, spki.byteOffset, spki.byteLength);
  for (const { crv, header, size } of EC_HEADERS) {
    if (der.length !== header.length + 2 * size || !der.subarray(0, header.length).equals(header)) continue;
    const x = der.subarray(header.length, header.length + size).toString('base64url');
    const y = der.subarray(header.length + size).toString('base64url');
    return { key: { kty: 'EC', crv, x, y }, format: 'jwk' };
  }
  return { key: der, format: 'der', type: 'spki' };
}
