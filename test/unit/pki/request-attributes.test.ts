// A CSR's attributes read by framing: what the X.509 library reads from the same bytes, and
// undefined for every shape PKCS#10 does not give an attribute (the intake then refuses the CSR).
import { describe, expect, it } from 'vitest';
import { x509 } from '../../../main/pki/crypto';
import { derTlv } from '../../../main/pki/der';
import { asksForCa, asksToSignCertificates, readRequestAttributes } from '../../../main/pki/request-attributes';

const SEQUENCE = 0x30;
const SET = 0x31;
const CHALLENGE_PASSWORD = Uint8Array.of(0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x07);
const EXTENSION_REQUEST = Uint8Array.of(0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x0e);

const attributes = (...attribute: Uint8Array[]) => derTlv(0xa0, ...attribute);
const attribute = (oid: Uint8Array, ...values: Uint8Array[]) => derTlv(SEQUENCE, oid, derTlv(SET, ...values));
const raw = (extension: x509.Extension) => new Uint8Array(extension.rawData);

describe('readRequestAttributes', () => {
  it('reads the challengePassword and each requested extension as the library writes them', () => {
    const usage = new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true);
    const unknown = new x509.Extension('1.2.3.4', false, Uint8Array.of(0x05, 0x00));
    const read = readRequestAttributes(
      attributes(
        attribute(CHALLENGE_PASSWORD, derTlv(0x13, Buffer.from('enroll-1234'))),
        attribute(EXTENSION_REQUEST, derTlv(SEQUENCE, raw(usage), raw(unknown))),
      ),
    )!;
    expect(read.challengePassword).toBe('enroll-1234');
    expect(read.extensions.map((e) => [e.type, e.critical])).toEqual([
      ['2.5.29.15', true],
      ['1.2.3.4', false],
    ]);
    expect(Buffer.from(read.extensions[0]!.der).equals(Buffer.from(raw(usage)))).toBe(true);
    expect(Buffer.from(read.extensions[0]!.value).equals(Buffer.from(usage.value))).toBe(true);
  });

  it('reads a challengePassword in UTF-8 and in UTF-16 (BMPString)', () => {
    const utf8 = attributes(attribute(CHALLENGE_PASSWORD, derTlv(0x0c, Buffer.from('clé-1', 'utf8'))));
    const bmp = attributes(attribute(CHALLENGE_PASSWORD, derTlv(0x1e, Buffer.from('clé-2', 'utf16le').swap16())));
    expect(readRequestAttributes(utf8)!.challengePassword).toBe('clé-1');
    expect(readRequestAttributes(bmp)!.challengePassword).toBe('clé-2');
  });

  it.each([
    ['an attribute that is not a SEQUENCE', attributes(derTlv(SET, CHALLENGE_PASSWORD))],
    ['values that are not a SET', attributes(derTlv(SEQUENCE, CHALLENGE_PASSWORD, derTlv(SEQUENCE)))],
    [
      'a type that is not an OID',
      attributes(attribute(derTlv(0x04, Uint8Array.of(1)), derTlv(0x13, Uint8Array.of(0x41)))),
    ],
    ['extensions that are not a SEQUENCE', attributes(attribute(EXTENSION_REQUEST, derTlv(SET)))],
    [
      'an extension of four fields',
      attributes(
        attribute(
          EXTENSION_REQUEST,
          derTlv(SEQUENCE, derTlv(SEQUENCE, CHALLENGE_PASSWORD, derTlv(1, Uint8Array.of(0)), derTlv(4), derTlv(4))),
        ),
      ),
    ],
    [
      'a critical flag that is not a BOOLEAN',
      attributes(
        attribute(
          EXTENSION_REQUEST,
          derTlv(SEQUENCE, derTlv(SEQUENCE, CHALLENGE_PASSWORD, derTlv(2, Uint8Array.of(1)), derTlv(4))),
        ),
      ),
    ],
  ])('answers undefined for %s', (_name, der) => {
    expect(readRequestAttributes(der)).toBeUndefined();
  });
});

describe('a requested extension judged by its bits', () => {
  it.each([
    [x509.KeyUsageFlags.digitalSignature, false],
    [x509.KeyUsageFlags.keyAgreement | x509.KeyUsageFlags.decipherOnly, false],
    [x509.KeyUsageFlags.keyCertSign, true],
    [x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true],
  ])('keyUsage %i asks to sign certificates: %s', (flags, asks) => {
    expect(asksToSignCertificates(new Uint8Array(new x509.KeyUsagesExtension(flags).value))).toBe(asks);
  });

  it.each([
    [new x509.BasicConstraintsExtension(true), true],
    [new x509.BasicConstraintsExtension(false), false],
    [new x509.BasicConstraintsExtension(false, 3), false],
  ])('basicConstraints %# asks for a CA: %s', (extension, asks) => {
    expect(asksForCa(new Uint8Array(extension.value))).toBe(asks);
  });

  it('answers undefined for values of another shape', () => {
    expect(asksToSignCertificates(Uint8Array.of(0x05, 0x00))).toBeUndefined();
    expect(asksForCa(Uint8Array.of(0x01, 0x01, 0xff))).toBeUndefined();
  });
});
