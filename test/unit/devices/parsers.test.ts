// Table tests on recorded bytes: each row is a reply as the modem prints it (nrf91-at.md
// transcripts §2–§5) and what the pure parser must make of it.
import { describe, expect, it } from 'vitest';
import { parseFinalResult } from '../../../main/devices/nrf91/final-result';
import { parseCredentialList, parseCredentialRead } from '../../../main/devices/nrf91/parsers/cmng';
import { atLeast, luhnValid, parseCfun, parseFirmware, parseImei } from '../../../main/devices/nrf91/parsers/identity';
import { parseKeygen, parseKeygenEvidence } from '../../../main/devices/nrf91/parsers/keygen';
import { describeCme } from '../../../main/devices/nrf91/cme';

describe('final result lines', () => {
  it.each([
    ['OK', { kind: 'ok' }],
    ['ERROR', { kind: 'error' }],
    ['+CME ERROR: 518', { kind: 'cme', code: 518 }],
    ['+CME ERROR:513', { kind: 'cme', code: 513 }],
    ['  OK  ', { kind: 'ok' }],
    ['OKAY', undefined],
    ['%KEYGEN: "MIIBCjCBrwIBADAvOKOK"', undefined],
    ['+CME ERROR: abc', undefined],
    ['ok', undefined],
  ])('%j → %j', (line, expected) => expect(parseFinalResult(line)).toEqual(expected));
});

describe('identity parsers', () => {
  it.each([
    [['+CGSN: "352656109480783"'], '352656109480783'],
    [['352656109480783'], '352656109480783'],
    [['+CEREG: 2', '+CGSN: "352656109480783"'], '352656109480783'],
  ])('IMEI from %j', (lines, imei) => expect(parseImei(lines)).toBe(imei));

  it.each([[['+CGSN: "352656109480784"']], [['+CGSN: "35265610948078"']], [['garbage']], [[]]])(
    'refuses %j as DEVICE_GARBAGE',
    (lines) => {
      expect(() => parseImei(lines)).toThrowError(expect.objectContaining({ code: 'DEVICE_GARBAGE' }));
    },
  );

  it('checks the Luhn digit', () => {
    expect(luhnValid('352656109480783')).toBe(true);
    expect(luhnValid('352656109480782')).toBe(false);
  });

  it.each([
    ['mfw_nrf9160_1.3.5', [1, 3, 5]],
    ['mfw_nrf91x1_2.0.2', [2, 0, 2]],
    ['mfw_nrf9151-ntn_1.0.0', [1, 0, 0]],
    ['mfw_nrf9160_1.2.3-FOTA-TEST', [1, 2, 3]],
  ])('firmware %s', (raw, [major, minor, patch]) => {
    expect(parseFirmware([raw])).toEqual({ raw, major, minor, patch });
  });

  it('compares firmware versions', () => {
    expect(atLeast(parseFirmware(['mfw_nrf9160_1.3.0']), 1, 3, 0)).toBe(true);
    expect(atLeast(parseFirmware(['mfw_nrf9160_1.2.9']), 1, 3, 0)).toBe(false);
    expect(atLeast(parseFirmware(['mfw_nrf91x1_2.0.0']), 1, 3, 2)).toBe(true);
  });

  it.each([
    [['+CFUN: 4'], 4],
    [['+CFUN: 1'], 1],
    [['+CFUN:0'], 0],
  ])('CFUN from %j', (lines, mode) => expect(parseCfun(lines)).toBe(mode));
});

describe('%CMNG parsers', () => {
  const list = [
    '%CMNG: 16842753,0,"2C43952EE9E000FF2ACC4E2ED0897C0A72AD5FA72C3D934E81741CBD54F05BD1"',
    '%CMNG: 16842753,1,"B9BAC156B0C3EBCF2DB8E3E2D8B9E8B0F7A8B3C5E4D2C1B0A9F8E7D6C5B4A35F"',
    '+CEREG: 2,"ABCD","01234567",7',
    '%CMNG: 4294967293,10,"2C43952EE9E000FF2ACC4E2ED0897C0A72AD5FA72C3D934E81741CBD54F05BD1"',
  ];
  it('lists entries, skipping URCs', () => {
    expect(parseCredentialList(list)).toEqual([
      { secTag: 16842753, type: 0, sha256: '2C43952EE9E000FF2ACC4E2ED0897C0A72AD5FA72C3D934E81741CBD54F05BD1' },
      { secTag: 16842753, type: 1, sha256: 'B9BAC156B0C3EBCF2DB8E3E2D8B9E8B0F7A8B3C5E4D2C1B0A9F8E7D6C5B4A35F' },
      { secTag: 4294967293, type: 10, sha256: '2C43952EE9E000FF2ACC4E2ED0897C0A72AD5FA72C3D934E81741CBD54F05BD1' },
    ]);
  });
  it('an empty list is no lines', () => expect(parseCredentialList([])).toEqual([]));
  it('a garbled list is garbage, never "nothing stored"', () => {
    expect(() => parseCredentialList(['\ufffd\ufffd"\u0007x'])).toThrow(
      expect.objectContaining({ code: 'DEVICE_GARBAGE' }),
    );
    expect(() => parseCredentialList(['+CFUN: 1'])).toThrow(expect.objectContaining({ code: 'DEVICE_GARBAGE' }));
  });

  it('reads content spanning lines', () => {
    const pem = '-----BEGIN CERTIFICATE-----\nMIIBSTCB76ADAgECAhRLbrvc\n-----END CERTIFICATE-----';
    const line = `%CMNG: 16842753,0,"C4F8E2648D2298287E2FBD87F964EF41AABBB0762071BCEFF66C339BD889F722","${pem}"`;
    expect(parseCredentialRead([line])).toMatchObject({ secTag: 16842753, type: 0, content: pem });
  });
});

describe('%KEYGEN parser', () => {
  it('splits the two base64url parts', () => {
    const csr = Buffer.from([0x30, 0x03, 0x02, 0x01, 0x00]);
    const cose = Buffer.from([0xd2, 0x84]);
    const line = `%KEYGEN: "${csr.toString('base64url')}.${cose.toString('base64url')}"`;
    expect(parseKeygen([line])).toEqual({ csrDer: new Uint8Array(csr), cose: new Uint8Array(cose) });
  });
  it.each([[['%KEYGEN: "abc"']], [['%KEYGEN: abc.def']], [['OK']]])('refuses %j', (lines) => {
    expect(() => parseKeygen(lines)).toThrowError(expect.objectContaining({ code: 'DEVICE_GARBAGE' }));
  });
  it('returns no evidence for bytes that are not a COSE_Sign1', () => {
    expect(parseKeygenEvidence(Uint8Array.of(0xff, 0x00))).toBeUndefined();
    expect(parseKeygenEvidence(Uint8Array.of(0x80))).toBeUndefined();
  });
});

describe('CME codes', () => {
  it.each([
    [518, 'MODEM_ONLINE', /offline \(AT\+CFUN=4\)/],
    [513, 'MODEM_CREDENTIAL_NOT_FOUND', /no credential/],
    [527, 'MODEM_INVALID_CONTENT', /LF/],
    [0, 'MODEM_UNSUPPORTED', /firmware/],
  ])('%i → %s', (cme, code, sentence) => {
    expect(describeCme(cme).code).toBe(code);
    expect(describeCme(cme).sentence).toMatch(sentence);
  });
  it('an unknown code still reads as a sentence with the number', () => {
    expect(describeCme(4711)).toEqual({ code: 'MODEM_CME_OTHER', sentence: expect.stringContaining('4711') });
  });
});
