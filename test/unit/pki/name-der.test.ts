// Names and validity by DER framing (name-der.ts) against the libraries they stand in for: what
// the station CA writes must be byte for byte what @peculiar/x509 and asn1-x509 write, and what
// the CSR intake reads must be what the X.509 library reads.
import 'reflect-metadata';
import { AsnConvert } from '@peculiar/asn1-schema';
import * as asn1X509 from '@peculiar/asn1-x509';
import { describe, expect, it } from 'vitest';
import { x509 } from '../../../main/pki/crypto';
import { nameDer, nameEntriesOf, validityDer } from '../../../main/pki/name-der';
import { x509NameKey } from '../../../main/pki/subject-attributes';

const NAMES: Array<Array<readonly [string, string]>> = [
  [['CN', 'nrf-352656100000001']],
  [
    ['CN', 'bulk-17'],
    ['O', 'Acme Devices, Inc.'],
    ['OU', 'Line 3'],
    ['C', 'DE'],
  ],
  [
    ['CN', 'Zähler-Ost_7'], // not printable: UTF8String
    ['serialNumber', 'SN-0042'],
    ['UID', 'u1'],
    ['L', 'Trondheim'],
    ['ST', 'Trøndelag'],
  ],
  [
    ['CN', 'sensor@line'], // '@' is not in PrintableString
    ['E', 'ops@example.com'],
    ['DC', 'example'],
  ],
  [],
];

const libraryName = (entries: ReadonlyArray<readonly [string, string]>) =>
  new Uint8Array(new x509.Name(entries.map(([a, v]) => ({ [x509NameKey(a)]: [v] }))).toArrayBuffer());

describe('names by DER framing', () => {
  it.each(NAMES.map((n) => [n.map(([a, v]) => `${a}=${v}`).join(','), n] as const))(
    'writes %s as the X.509 library does, and reads it back',
    (_, entries) => {
      const ours = nameDer(entries)!;
      expect(Buffer.from(ours).toString('hex')).toBe(Buffer.from(libraryName(entries)).toString('hex'));
      expect(nameEntriesOf(ours)).toEqual(entries);
    },
  );

  it('leaves to the library what it would read as name syntax, and what it does not know', () => {
    expect(nameDer([['CN', '#0403abcd']])).toBeUndefined();
    expect(nameDer([['CN', 'say "hi"']])).toBeUndefined();
    expect(nameDer([['title', 'Engineer']])).toBeUndefined();
  });

  it("reads only the plain shape: multi-valued RDNs, unknown attributes, BMPStrings are the library's", () => {
    const multi = new x509.Name('CN=a+O=b');
    expect(nameEntriesOf(new Uint8Array(multi.toArrayBuffer()))).toBeUndefined();
    const title = new x509.Name([{ '2.5.4.12': ['Engineer'] }]);
    expect(nameEntriesOf(new Uint8Array(title.toArrayBuffer()))).toBeUndefined();
    const bmp = new x509.Name([{ CN: [{ bmpString: 'x' }] }] as never);
    expect(nameEntriesOf(new Uint8Array(bmp.toArrayBuffer()))).toBeUndefined();
    expect(nameEntriesOf(Uint8Array.of(0x30, 0x05, 0x31, 0x03, 0x30, 0x01, 0x05))).toBeUndefined();
  });
});

describe('validity by DER framing', () => {
  it.each([
    ['2026-11-30T13:27:57.123Z', '2027-11-30T13:27:57.999Z'],
    ['2049-12-31T23:59:59.000Z', '2050-01-01T00:00:00.000Z'], // UTCTime ends with 2049
    ['2026-01-01T00:00:00.000Z', '9999-12-31T23:59:59.000Z'],
  ])('%s – %s is what asn1-x509 writes', (from, to) => {
    const notBefore = new Date(from);
    const notAfter = new Date(to);
    const library = new Uint8Array(AsnConvert.serialize(new asn1X509.Validity({ notBefore, notAfter })));
    expect(Buffer.from(validityDer(notBefore, notAfter)).toString('hex')).toBe(Buffer.from(library).toString('hex'));
  });
});
