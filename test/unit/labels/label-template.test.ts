// The label as ZPL: the code and the words in the built-in layout, a field without a value leaves
// no line, DataMatrix on request, a device type's own layout, and nothing in a value can start a
// ZPL command.
import { describe, expect, it } from 'vitest';
import { DeviceTypeDocument } from '../../../shared/device-type';
import { renderLabelZpl, unknownPlaceholders } from '../../../main/labels/label-template';

const qr = { barcode: 'qr', content: '{deviceId}' } as const;

describe('label ZPL', () => {
  it('puts the code and the words in the built-in layout', () => {
    const zpl = renderLabelZpl(qr, { deviceId: 'nrf-1', imei: '352656100123458', petName: 'amber-falcon' });
    expect(zpl.startsWith('^XA')).toBe(true);
    expect(zpl.endsWith('^XZ')).toBe(true);
    expect(zpl).toContain('^BQN,2,5^FDQA,nrf-1^FS');
    expect(zpl).toContain('^FDamber-falcon^FS');
    expect(zpl).toContain('^FDIMEI 352656100123458^FS');
    expect(zpl).not.toContain('S/N'); // no serial: no serial line
  });

  it('makes a DataMatrix, with what the type says the code carries', () => {
    const zpl = renderLabelZpl(
      { barcode: 'datamatrix', content: 'ID:{deviceId};IMEI:{imei}' },
      { deviceId: 'd', imei: '1' },
    );
    expect(zpl).toContain('^BXN,6,200^FDID:d;IMEI:1^FS');
  });

  it("uses a type's own layout, and a value cannot inject ZPL", () => {
    const spec = { ...qr, zpl: '^XA^FO0,0{code}^FO0,200^FD{petName}^FS^XZ' };
    const zpl = renderLabelZpl(spec, { deviceId: 'a^XZ~JR', petName: 'x^FS^XA' });
    expect(zpl).toBe('^XA^FO0,0^BQN,2,5^FDQA,aXZJR^FS^FO0,200^FDxFSXA^FS^XZ');
  });

  it('refuses unknown placeholders, in the device type schema and here', () => {
    expect(unknownPlaceholders('{code} {deviceId} {colour}')).toEqual(['colour']);
    const type = DeviceTypeDocument.safeParse({
      name: 't',
      device: 'csr-file',
      idTemplate: '{deviceId}',
      subject: [{ attribute: 'CN', template: '{deviceId}', required: true }],
      keyPolicy: { allowed: ['ec-p256'] },
      certificate: { kind: 'operational', validityDays: 1 },
      label: { zpl: '^XA{colour}^XZ' },
    });
    expect(type.success).toBe(false);
    expect(type.error?.issues[0]?.message).toContain('{code}');
  });
});
