// The supervisor's contract methods behind the CA, setup and settings views: chain export, a
// cloud's proof-of-possession certificate, device types and profiles saved with their problems
// named, and the passphrase keychain — unavailable in browser mode, refused on basic_text, and
// never the only way in.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as x509 from '@peculiar/x509';
import { afterEach, describe, expect, it } from 'vitest';
import { createDispatch } from '../../../main/api/dispatch';
import { createStationService, stationGuard } from '../../../main/api/station-service';
import { inProcessModems } from '../../../main/devices/nrf91-sim/memory-host';
import { Bench } from '../../../main/station/bench';
import { PassphraseKeychain, type KeychainVault } from '../../../main/station/keychain';
import { simulatedSlots } from '../../../main/station/slot-sources';
import type { Station } from '../../../main/station/station';
import { builtinDeviceTypes } from '../../../shared/device-type';
import { fileLogger, openTestStation, tempDir } from '../../helpers/station';

const PASS = 'night shift passphrase';
let station: Station | undefined;
afterEach(() => station?.close());

function setUp(keychain?: (dataDir: string) => PassphraseKeychain) {
  station = openTestStation();
  const { log } = fileLogger(tempDir());
  const bench = new Bench(
    station,
    simulatedSlots(inProcessModems(1, { dir: tempDir() })),
    { deviceChanged: () => undefined, batchProgress: () => undefined },
    log,
  );
  const dispatch = createDispatch(
    createStationService(station, bench, keychain ? { keychain: keychain(station.dataDir) } : {}),
    log,
    stationGuard(station),
  );
  const call = async (method: string, request: unknown = {}) =>
    dispatch(method, request, { transport: 'websocket', session: 'one' });
  return { call, station, bench };
}
const code = (result: { ok: boolean; error?: { code: string } }) => (result.ok ? 'ok' : result.error!.code);
const value = <T>(result: { ok: boolean; value?: unknown }) => {
  expect(result).toMatchObject({ ok: true });
  return result.value as T;
};

/**
 * A keychain vault for the station's policy tests: AES-256-GCM under a key held by the test, under
 * whichever backend name the case needs. (Electron's own safeStorage is exercised by the
 * `_electron` suite wherever an Electron binary exists.)
 */
function testVault(backend: string): KeychainVault & { key: Buffer } {
  const key = crypto.randomBytes(32);
  return {
    key,
    backend: () => backend,
    available: async () => true,
    encrypt: async (plain) => {
      const iv = crypto.randomBytes(12);
      const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
      return Buffer.concat([iv, cipher.update(plain, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    },
    decrypt: async (wrapped) => {
      const decipher = crypto.createDecipheriv('aes-256-gcm', key, wrapped.subarray(0, 12));
      decipher.setAuthTag(wrapped.subarray(wrapped.length - 16));
      return Buffer.concat([decipher.update(wrapped.subarray(12, wrapped.length - 16)), decipher.final()]).toString(
        'utf8',
      );
    },
  };
}

describe('CA view methods', () => {
  it('exports the chain and signs a verification code with the root only while unlocked', async () => {
    const { call, bench } = setUp();
    expect(code(await call('ca:export'))).toBe('CA_NOT_INITIALIZED');
    await bench.initCa(PASS);
    const { pem } = value<{ pem: string }>(await call('ca:export'));
    const [issuing, root] = pem.split(/(?=-----BEGIN CERTIFICATE-----)/).map((p) => new x509.X509Certificate(p));
    expect(issuing!.issuer).toBe(root!.subject);

    expect(code(await call('ca:verification-cert', { code: 'has spaces' }))).toBe('CONTRACT_INVALID_REQUEST');
    const pop = value<{ pem: string; subject: string; serial: string }>(
      await call('ca:verification-cert', { code: '0A1B2C3D' }),
    );
    const certificate = new x509.X509Certificate(pop.pem);
    expect(certificate.subject).toBe('CN=0A1B2C3D');
    expect(await certificate.verify({ publicKey: root!.publicKey, signatureOnly: true })).toBe(true);
    const byIssuing = new x509.X509Certificate(
      value<{ pem: string }>(await call('ca:verification-cert', { code: 'XYZ', ca: 'issuing' })).pem,
    );
    expect(await byIssuing.verify({ publicKey: issuing!.publicKey, signatureOnly: true })).toBe(true);
    expect(
      station!.db.prepare("SELECT count(*) AS n FROM audit_log WHERE action = 'ca.verification-cert'").get(),
    ).toEqual({ n: 2 });
  });

  it('refuses a verification certificate before the station is unlocked', async () => {
    const { call, station: opened } = setUp();
    await opened.ca.init({ passphrase: PASS });
    expect(code(await call('ca:verification-cert', { code: 'ABC' }))).toBe('CA_PASSPHRASE_REQUIRED');
  });
});

describe('setup view methods', () => {
  it('names each bad field of a device type, then saves and lists a good one', async () => {
    const { call } = setUp();
    const base = builtinDeviceTypes.find((t) => t.name === 'nrf91-default')!;
    const refused = await call('device-type:save', {
      document: { ...base, name: 'Bad Name', certificate: { kind: 'operational', validityDays: 0 } },
    });
    expect(code(refused)).toBe('DEVICE_TYPE_INVALID');
    const paths = (
      (refused as unknown as { error: { details: { issues: Array<{ path: string }> } } }).error.details.issues ?? []
    ).map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['name', 'certificate.validityDays']));
    value(await call('device-type:save', { document: { ...base, name: 'line-b' } }));
    expect(value<Array<{ name: string }>>(await call('device-type:list')).map((t) => t.name)).toContain('line-b');
  });

  it('saves profiles: a bad URL named, secrets only with the passphrase and only sealed', async () => {
    const { call, bench, station: opened } = setUp();
    await bench.initCa(PASS);
    await bench.unlock(PASS);
    const bad = await call('profile:save', { name: 'line-b', settings: { protocol: 'est', url: 'nope' } });
    expect(code(bad)).toBe('PROFILE_INVALID');
    const saved = value<{ secrets: string[] }>(
      await call('profile:save', {
        name: 'line-b',
        settings: { protocol: 'est', url: 'https://127.0.0.1:9/.well-known/est', user: 'st7' },
        secrets: { password: 'clear-text-7781' },
      }),
    );
    expect(saved.secrets).toEqual(['password']);
    // Editing only the settings keeps the sealed password (nobody retypes it to fix a URL).
    const edited = value<{ secrets: string[]; settings: { url: string } }>(
      await call('profile:save', {
        name: 'line-b',
        settings: { protocol: 'est', url: 'https://127.0.0.1:10/.well-known/est', user: 'st7' },
        replace: true,
      }),
    );
    expect(edited).toMatchObject({ secrets: ['password'], settings: { url: 'https://127.0.0.1:10/.well-known/est' } });
    // replacing needs replace: true
    expect(code(await call('profile:save', { name: 'line-b', settings: { protocol: 'local' } }))).not.toBe('ok');
    value(
      await call('profile:save', {
        name: 'line-b',
        settings: { protocol: 'scep', url: 'http://127.0.0.1:9/scep' },
        replace: true,
      }),
    );
    opened.db.pragma('wal_checkpoint(TRUNCATE)');
    for (const file of fs.readdirSync(opened.dataDir, { recursive: true }) as string[]) {
      const full = path.join(opened.dataDir, file);
      if (fs.statSync(full).isFile()) expect(fs.readFileSync(full).includes('clear-text-7781'), file).toBe(false);
    }
  });
});

describe('the passphrase keychain', () => {
  it('is honestly unavailable in browser mode; the typed passphrase is the way in', async () => {
    const { call, bench } = setUp();
    await bench.initCa(PASS);
    expect(value(await call('keychain:status'))).toMatchObject({
      available: false,
      remembered: false,
      reason: expect.stringContaining('desktop app'),
    });
    expect(code(await call('keychain:remember'))).toBe('KEYCHAIN_UNAVAILABLE');
    expect(code(await call('keychain:unlock'))).toBe('KEYCHAIN_NOT_REMEMBERED');
    expect(value(await call('station:unlock', { passphrase: PASS }))).toMatchObject({ unlocked: true });
  });

  it('refuses the basic_text backend, which would only obscure the passphrase', async () => {
    const { call, bench } = setUp((dir) => new PassphraseKeychain(dir, testVault('basic_text')));
    await bench.initCa(PASS);
    expect(value(await call('keychain:status'))).toMatchObject({
      available: false,
      backend: 'basic_text',
      reason: expect.stringContaining('basic_text'),
    });
    expect(code(await call('keychain:remember'))).toBe('KEYCHAIN_UNAVAILABLE');
    expect(fs.existsSync(path.join(station!.dataDir, 'keychain'))).toBe(false);
  });

  it('remembers with a real backend, unlocks a new session; a broken wrap still leaves the passphrase', async () => {
    const vault = testVault('gnome_libsecret');
    const first = setUp((dir) => new PassphraseKeychain(dir, vault));
    expect(code(await first.call('keychain:remember'))).toBe('CA_PASSPHRASE_REQUIRED'); // nothing to remember yet
    await first.bench.initCa(PASS);
    expect(value(await first.call('keychain:remember'))).toMatchObject({ available: true, remembered: true });
    const wrapped = fs.readFileSync(path.join(first.station.dataDir, 'keychain', 'passphrase.wrapped'));
    expect(wrapped.includes(PASS)).toBe(false);
    expect(fs.statSync(path.join(first.station.dataDir, 'keychain', 'passphrase.wrapped')).mode & 0o077).toBe(0);

    // A new bench on the same station (a restarted app): one click unlocks.
    const { log } = fileLogger(tempDir());
    const restarted = new Bench(
      first.station,
      simulatedSlots(inProcessModems(1, { dir: tempDir() })),
      { deviceChanged: () => undefined, batchProgress: () => undefined },
      log,
    );
    const dispatch = createDispatch(
      createStationService(first.station, restarted, {
        keychain: new PassphraseKeychain(first.station.dataDir, vault),
      }),
      log,
    );
    const again = (method: string, request: unknown = {}) =>
      dispatch(method, request, { transport: 'ipc', session: '2' });
    expect(value(await again('ca:status'))).toMatchObject({ unlocked: false });
    expect(value(await again('keychain:unlock'))).toMatchObject({ unlocked: true });

    // The OS key changed (new login keyring): the wrap cannot be read — the passphrase still works.
    vault.key.fill(7);
    expect(code(await again('keychain:unlock'))).toBe('KEYCHAIN_UNREADABLE');
    expect(value(await again('station:unlock', { passphrase: PASS }))).toMatchObject({ unlocked: true });
    expect(value(await again('keychain:forget'))).toMatchObject({ remembered: false });
    expect(
      first.station.db.prepare("SELECT action FROM audit_log WHERE action LIKE 'keychain.%' ORDER BY seq").all(),
    ).toEqual([{ action: 'keychain.remembered' }, { action: 'keychain.forgotten' }]);
  });
});
