// Device types: validation with clear messages, and INeS precedence for each subject field.
import { describe, expect, it } from 'vitest';
import { builtinDeviceTypes, DeviceTypeDocument, type DeviceTypeInput } from '../../../shared/device-type';
import { deviceIdFor, resolveName } from '../../../main/pki/device-type/naming';
import { openDatabase } from '../../../main/store/database';
import { DeviceTypeStore } from '../../../main/store/device-type-store';
import { openTestStation } from '../../helpers/station';

const base = DeviceTypeDocument.parse(builtinDeviceTypes[0]);

describe('device type documents', () => {
  it('ships csr-file-default, nrf91-default and tpm-default in every fresh data folder', () => {
    const station = openTestStation();
    expect(station.deviceTypes.list().map((t) => t.name)).toEqual(['csr-file-default', 'nrf91-default', 'tpm-default']);
    expect(station.deviceTypes.get('nrf91-default')).toMatchObject({
      idTemplate: 'nrf-{imei}',
      secTags: { client: 16842753 },
      profile: 'local',
    });
    // Made for CSR files (#14): every key a CSR file commonly has, ID and subject from the CSR.
    expect(station.deviceTypes.get('csr-file-default')).toMatchObject({
      device: 'csr-file',
      idTemplate: '{deviceId}',
      keyPolicy: { allowed: ['ec-p256', 'ec-p384', 'rsa-2048', 'rsa-3072', 'rsa-4096'] },
      profile: 'local',
    });
    station.close();
  });

  it('seeds a built-in the data folder lacks on the next open, and leaves the ones it holds as they are', () => {
    const station = openTestStation();
    const { db } = station;
    const updatedAt = () => db.prepare('SELECT name, updated_at FROM device_types ORDER BY name').all();
    db.prepare("UPDATE device_types SET updated_at = 'kept' WHERE name != 'tpm-default'").run();
    db.prepare("DELETE FROM device_types WHERE name = 'tpm-default'").run();
    new DeviceTypeStore(db);
    const rows = updatedAt() as Array<{ name: string; updated_at: string }>;
    expect(rows.map((r) => r.name)).toEqual(['csr-file-default', 'nrf91-default', 'tpm-default']);
    expect(rows.filter((r) => r.updated_at === 'kept').map((r) => r.name)).toEqual([
      'csr-file-default',
      'nrf91-default',
    ]);
    expect(station.deviceTypes.get('tpm-default')).toMatchObject({ device: 'tpm' });
    station.close();
  });

  it('opens beside another connection that holds the write lock, when every built-in is there', () => {
    const station = openTestStation();
    const other = openDatabase(station.db.name);
    other.exec('BEGIN IMMEDIATE');
    try {
      // Nothing to seed: no write, so no wait for the lock (nor SQLITE_BUSY after the busy timeout).
      expect(new DeviceTypeStore(station.db).list()).toHaveLength(builtinDeviceTypes.length);
    } finally {
      other.exec('ROLLBACK');
      other.close();
      station.close();
    }
  });

  it('csr-file-default copies the subject from the CSR, in DN order, requiring nothing the CSR lacks', () => {
    const csrFile = DeviceTypeDocument.parse(builtinDeviceTypes.find((t) => t.name === 'csr-file-default'));
    const fromCsr = { CN: 'meter-0042', O: 'Floor', C: 'DE', serialNumber: 'SN42' };
    expect(resolveName(csrFile, { deviceId: 'meter-0042' }, fromCsr).subject).toEqual([
      ['C', 'DE'],
      ['O', 'Floor'],
      ['CN', 'meter-0042'],
      ['serialNumber', 'SN42'],
    ]);
    expect(resolveName(csrFile, { deviceId: 'SN7' }, { serialNumber: 'SN7' }).subject).toEqual([
      ['serialNumber', 'SN7'],
    ]);
  });

  it.each<[string, Partial<DeviceTypeInput> | Record<string, unknown>, string]>([
    ['an unknown placeholder', { idTemplate: 'nrf-{mac}' }, 'idTemplate'],
    ['an upper-case name', { name: 'NRF' }, 'name'],
    ['no subject', { subject: [] }, 'subject'],
    ['an nrf91 type without sec tags', { secTags: undefined }, 'secTags'],
    ['a sec tag out of range', { secTags: { client: 4294967293, caCerts: [] } }, 'secTags.client'],
    ['an unknown key algorithm', { keyPolicy: { allowed: ['dsa-1024'] } }, 'keyPolicy.allowed.0'],
    ['an unknown field', { colour: 'red' }, ''],
  ])('refuses %s with DEVICE_TYPE_INVALID naming the field', (_name, change, field) => {
    const station = openTestStation();
    const store = new DeviceTypeStore(station.db);
    try {
      store.put({ ...builtinDeviceTypes[0], ...change });
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ code: 'DEVICE_TYPE_INVALID' });
      expect((error as { details: { issues: Array<{ path: string }> } }).details.issues.map((i) => i.path)).toContain(
        field,
      );
    }
    station.close();
  });

  it('builds the device ID from its template, and says what is missing', () => {
    expect(deviceIdFor(base, { imei: '352656109480783' })).toBe('nrf-352656109480783');
    expect(() => deviceIdFor(base, {})).toThrowError(expect.objectContaining({ code: 'DEVICE_TYPE_FIELD_MISSING' }));
  });

  it('resolves each field: device attribute, else default, else CSR, else error if required', () => {
    const type = DeviceTypeDocument.parse({
      ...builtinDeviceTypes[0],
      subject: [
        { attribute: 'CN', template: '{deviceId}', required: true },
        { attribute: 'O', template: 'Acme {model}', default: 'Acme' },
        { attribute: 'OU', fromCsr: true },
        { attribute: 'serialNumber', template: '{serial}', fromCsr: false },
        { attribute: 'C', default: 'DE' },
      ],
      san: [
        { type: 'uri', template: 'urn:dev:{deviceId}' },
        { type: 'dns', template: '{petName}.devices.example' },
      ],
    });
    const name = resolveName(type, { deviceId: 'nrf-1', model: 'Tracker' }, { CN: 'from-csr', OU: 'Line 3', C: 'US' });
    expect(name.subject).toEqual([
      ['CN', 'nrf-1'],
      ['O', 'Acme Tracker'],
      ['OU', 'Line 3'],
      ['C', 'DE'],
    ]);
    expect(name.sans).toEqual([{ type: 'url', value: 'urn:dev:nrf-1' }]);
    expect(resolveName(type, { deviceId: 'nrf-1' }, {}).subject).toContainEqual(['O', 'Acme']);
    expect(() =>
      resolveName({ ...type, subject: [{ attribute: 'CN', fromCsr: false, required: true }] }, {}, { CN: 'x' }),
    ).toThrowError(expect.objectContaining({ code: 'DEVICE_TYPE_FIELD_MISSING' }));
  });
});
