// RFC 7512 URIs as the station reads them: the token, the object, the module and a PIN file; what
// it refuses (no module, no token, a PIN in the URI, another scheme), each with a code.
import { describe, expect, it } from 'vitest';
import { formatPkcs11Uri, parsePkcs11Uri } from '../../../main/pki/token/pkcs11-uri';

const MODULE = '/usr/lib/softhsm/libsofthsm2.so';

describe('PKCS#11 URI', () => {
  it.each([
    [`pkcs11:token=floor-ca?module-path=${MODULE}`, { token: 'floor-ca', modulePath: MODULE }],
    [
      `pkcs11:token=Line%203;object=issuing?module-path=${MODULE}&pin-source=file:/run/pin`,
      { token: 'Line 3', object: 'issuing', modulePath: MODULE, pinFile: '/run/pin' },
    ],
    [
      `pkcs11:serial=ffb1c7ed8bcb6f78;id=%01?module-path=${MODULE}`,
      { serial: 'ffb1c7ed8bcb6f78', id: '\u0001', modulePath: MODULE },
    ],
  ])('reads %s', (text, expected) => {
    expect(parsePkcs11Uri(text)).toEqual(expected);
  });

  it.each([
    ['token=x?module-path=/a.so', 'must start with pkcs11:'],
    ['pkcs11:token=x', 'module-path is missing'],
    ['pkcs11:object=issuing?module-path=/a.so', 'name the token'],
    ['pkcs11:token=x?module-path=/a.so&pin-value=1234', 'a PIN in the URI'],
    ['pkcs11:token=x?module-path=/a.so&pin-source=|/bin/pin', 'pin-source must be file:'],
    ['pkcs11:token=x;flavour=y?module-path=/a.so', 'unknown attribute "flavour"'],
    ['pkcs11:token=%E0%A4%A?module-path=/a.so', 'not percent-encoded'],
  ])('refuses %s', (text, why) => {
    expect(() => parsePkcs11Uri(text)).toThrow(
      expect.objectContaining({ code: 'CA_TOKEN_URI_INVALID', message: expect.stringContaining(why) }),
    );
  });

  it('writes the URI back without its PIN source', () => {
    const uri = parsePkcs11Uri(`pkcs11:token=Line%203;object=issuing?module-path=${MODULE}&pin-source=file:/run/pin`);
    expect(formatPkcs11Uri(uri)).toBe(`pkcs11:token=Line%203;object=issuing?module-path=${MODULE}`);
  });
});
