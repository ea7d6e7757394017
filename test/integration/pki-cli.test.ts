// The CA and device-type commands as line automation runs them: JSON lines, exit codes, files.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtinDeviceTypes } from '../../shared/device-type';
import { runEnroller } from '../helpers/cli';
import { openssl } from '../helpers/openssl';
import { intakeCsr } from '../../main/pki/csr-intake';
import { makeCsr } from '../helpers/csr';
import { openTestStation, tempDir } from '../helpers/station';

const enroller = runEnroller;

describe('enroller ca / device-type', () => {
  it('initialises, refuses a second init, exports a chain OpenSSL verifies, makes a verification cert', async () => {
    const dir = tempDir();
    const pass = path.join(dir, 'pass');
    fs.writeFileSync(pass, 'a long passphrase\n');
    expect(await enroller(dir, 'ca', 'init', '--passphrase-file', pass, '--key', 'rsa-2048')).toMatchObject({
      code: 0,
      lines: [{ status: 'initialized', initialized: true }],
    });
    expect(await enroller(dir, 'ca', 'init', '--passphrase-file', pass)).toMatchObject({
      code: 1,
      lines: [{ status: 'failed', code: 'CA_ALREADY_INITIALIZED' }],
    });
    const chain = path.join(dir, 'chain.pem');
    expect((await enroller(dir, 'ca', 'export', '--out', chain)).code).toBe(0);
    const pems = fs.readFileSync(chain, 'utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)!;
    expect(pems).toHaveLength(2);
    fs.writeFileSync(path.join(dir, 'root.pem'), pems[1]!);
    fs.writeFileSync(path.join(dir, 'issuing.pem'), pems[0]!);
    expect(
      (await openssl(['verify', '-CAfile', path.join(dir, 'root.pem'), path.join(dir, 'issuing.pem')])).stdout,
    ).toContain('OK');

    const wrong = path.join(dir, 'wrong');
    fs.writeFileSync(wrong, 'not the passphrase');
    expect(
      await enroller(
        dir,
        'ca',
        'verification-cert',
        '--code',
        'C0DE',
        '--out',
        path.join(dir, 'v.pem'),
        '--passphrase-file',
        wrong,
      ),
    ).toMatchObject({
      code: 1,
      lines: [{ code: 'CA_WRONG_PASSPHRASE' }],
    });
    expect(
      (
        await enroller(
          dir,
          'ca',
          'verification-cert',
          '--code',
          'C0DE',
          '--out',
          path.join(dir, 'v.pem'),
          '--passphrase-file',
          pass,
        )
      ).code,
    ).toBe(0);
    expect(
      (await openssl(['verify', '-partial_chain', '-CAfile', path.join(dir, 'root.pem'), path.join(dir, 'v.pem')]))
        .stdout,
    ).toContain('OK');
  });

  it('imports a device type from JSON, lists it, and refuses a broken one with its field', async () => {
    const dir = tempDir();
    const good = path.join(dir, 'tracker.json');
    fs.writeFileSync(good, JSON.stringify({ ...builtinDeviceTypes[0], name: 'tracker-v2', idTemplate: 'trk-{imei}' }));
    expect(await enroller(dir, 'device-type', 'import', good)).toMatchObject({
      code: 0,
      lines: [{ status: 'imported', name: 'tracker-v2' }],
    });
    const listed = await enroller(dir, 'device-type', 'list');
    expect(listed.lines.map((l) => l.name)).toEqual(['csr-file-default', 'nrf91-default', 'tpm-default', 'tracker-v2']);
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, JSON.stringify({ ...builtinDeviceTypes[0], name: 'bad', idTemplate: '{nope}' }));
    expect(await enroller(dir, 'device-type', 'import', bad)).toMatchObject({
      code: 1,
      lines: [{ code: 'DEVICE_TYPE_INVALID' }],
    });
  });
});

describe('enroller ca import', () => {
  it("takes a factory's OpenSSL-made issuing CA (encrypted key) and issues under it", async () => {
    const dir = tempDir();
    const file = (name: string) => path.join(dir, name);
    await openssl([
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      file('root.key'),
      '-out',
      file('root.pem'),
      '-subj',
      '/CN=Factory Root',
      '-days',
      '3650',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    await openssl([
      'req',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-passout',
      'pass:keyfilepass',
      '-keyout',
      file('issuing.key'),
      '-out',
      file('issuing.csr'),
      '-subj',
      '/CN=Factory Issuing',
    ]);
    fs.writeFileSync(
      file('ext.cnf'),
      'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n',
    );
    await openssl([
      'x509',
      '-req',
      '-in',
      file('issuing.csr'),
      '-CA',
      file('root.pem'),
      '-CAkey',
      file('root.key'),
      '-CAcreateserial',
      '-out',
      file('issuing.pem'),
      '-days',
      '1000',
      '-extfile',
      file('ext.cnf'),
    ]);
    fs.writeFileSync(file('keypass'), 'keyfilepass');
    fs.writeFileSync(file('pass'), 'station passphrase');
    const imported = await enroller(
      dir,
      'ca',
      'import',
      '--cert',
      file('issuing.pem'),
      '--key',
      file('issuing.key'),
      '--chain',
      file('root.pem'),
      '--key-passphrase-file',
      file('keypass'),
      '--passphrase-file',
      file('pass'),
    );
    expect(imported).toMatchObject({
      code: 0,
      lines: [{ status: 'imported', issuing: { subject: 'CN=Factory Issuing' }, root: { subject: 'CN=Factory Root' } }],
    });
    // The same CA as one PKCS#12 file (OpenSSL 3 defaults: PBES2/AES-256, SHA-256 MAC).
    await openssl([
      'pkcs12',
      '-export',
      '-inkey',
      file('issuing.key'),
      '-passin',
      'pass:keyfilepass',
      '-in',
      file('issuing.pem'),
      '-certfile',
      file('root.pem'),
      '-passout',
      'pass:p12pass',
      '-out',
      file('ca.p12'),
    ]);
    fs.writeFileSync(file('p12pass'), 'p12pass');
    const fromP12 = await enroller(
      tempDir(),
      'ca',
      'import',
      '--p12',
      file('ca.p12'),
      '--key-passphrase-file',
      file('p12pass'),
      '--passphrase-file',
      file('pass'),
    );
    expect(fromP12).toMatchObject({
      code: 0,
      lines: [{ status: 'imported', issuing: { subject: 'CN=Factory Issuing' }, root: { subject: 'CN=Factory Root' } }],
    });
    const badP12 = await enroller(
      tempDir(),
      'ca',
      'import',
      '--p12',
      file('ca.p12'),
      '--key-passphrase-file',
      file('keypass'),
      '--passphrase-file',
      file('pass'),
    );
    expect(badP12).toMatchObject({ code: 1, lines: [{ code: 'CA_IMPORT_INVALID' }] });
    const wrongKey = await enroller(
      dir,
      'ca',
      'import',
      '--cert',
      file('issuing.pem'),
      '--key',
      file('root.key'),
      '--passphrase-file',
      file('pass'),
    );
    expect(wrongKey).toMatchObject({ code: 1, lines: [{ code: 'CA_IMPORT_INVALID' }] });
    expect((await enroller(dir, 'ca', 'export', '--out', file('chain.pem'))).code).toBe(0);
    expect(fs.readFileSync(file('chain.pem'), 'utf8').match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    // Issue under the imported CA; OpenSSL verifies the leaf up to the factory's root.
    const station = openTestStation(dir);
    const authority = await station.ca.unlock('station passphrase');
    const { certificate } = await authority.issue({
      csr: await intakeCsr(await makeCsr()),
      deviceType: station.deviceTypes.get('nrf91-default'),
      deviceId: 'nrf-9',
      attributes: {},
    });
    station.close();
    fs.writeFileSync(file('leaf.pem'), certificate.toString('pem'));
    expect(
      (await openssl(['verify', '-CAfile', file('root.pem'), '-untrusted', file('issuing.pem'), file('leaf.pem')]))
        .stdout,
    ).toContain('OK');
  });
});
