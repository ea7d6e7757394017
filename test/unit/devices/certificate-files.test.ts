// Certificate files out: names safe on every OS, and a file for another key never overwritten.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { safeFileStem, writeCertificateFiles } from '../../../main/devices/files/csr-files';
import { x509 } from '../../../main/pki/crypto';
import { keyPair } from '../../helpers/csr';
import { tempDir } from '../../helpers/station';

async function selfSigned(cn: string): Promise<x509.X509Certificate> {
  const keys = await keyPair();
  return x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${cn}`,
    keys,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    notBefore: new Date(),
    notAfter: new Date(Date.now() + 86_400_000),
  });
}

describe('certificate file names', () => {
  it.each([
    ['nrf-352656109480783', 'nrf-352656109480783'],
    ['line/3', 'line_3'],
    ['a\\b:c*d?e"f<g>h|i', 'a_b_c_d_e_f_g_h_i'],
    ['CON', '_CON'],
    ['nul', '_nul'],
    ['COM1.pem', '_COM1.pem'],
    ['LPT9', '_LPT9'],
    ['CONSOLE', 'CONSOLE'],
    ['device.', 'device'],
    ['device. . ', 'device'],
    ['.hidden', '_hidden'],
    ['..', '_'],
    ['', '_'],
    ['ü', '_'],
    ['x'.repeat(300), 'x'.repeat(200)],
  ])('%j → %j', (deviceId, stem) => {
    expect(safeFileStem(deviceId)).toBe(stem);
  });

  it('writes <id>.pem/.der; the same certificate again overwrites itself, another key gets ~2 and ~3', async () => {
    const out = tempDir();
    const [one, two, three] = await Promise.all(['one', 'two', 'three'].map(selfSigned));
    const write = (id: string, cert: x509.X509Certificate) =>
      writeCertificateFiles(out, id, new Uint8Array(cert.rawData), cert.toString('pem'), '');
    expect(await write('dev/1', one!)).toEqual({ pem: path.join(out, 'dev_1.pem'), der: path.join(out, 'dev_1.der') });
    expect(await write('dev/1', one!)).toEqual({ pem: path.join(out, 'dev_1.pem'), der: path.join(out, 'dev_1.der') });
    expect(await write('dev_1', two!)).toEqual({
      pem: path.join(out, 'dev_1~2.pem'),
      der: path.join(out, 'dev_1~2.der'),
      collidedWith: path.join(out, 'dev_1.pem'),
    });
    expect((await write('dev:1', three!)).pem).toBe(path.join(out, 'dev_1~3.pem'));
    expect(new x509.X509Certificate(fs.readFileSync(path.join(out, 'dev_1.pem'), 'utf8')).subject).toBe('CN=one');
    expect(new x509.X509Certificate(new Uint8Array(fs.readFileSync(path.join(out, 'dev_1~2.der')))).subject).toBe(
      'CN=two',
    );
  });

  it('two IDs that make one file name, written at the same moment, never overwrite each other', async () => {
    const out = tempDir();
    const certs = await Promise.all(['a', 'b', 'c'].map(selfSigned));
    const ids = ['dev/1', 'dev:1', 'dev_1'];
    const written = await Promise.all(
      certs.map((cert, i) =>
        writeCertificateFiles(out, ids[i]!, new Uint8Array(cert.rawData), cert.toString('pem'), ''),
      ),
    );
    expect(new Set(written.map((w) => w.pem)).size).toBe(3);
    for (const [i, w] of written.entries()) {
      const onDisk = new x509.X509Certificate(new Uint8Array(fs.readFileSync(w.der)));
      expect(onDisk.subject).toBe(certs[i]!.subject);
    }
  });

  it('a file it cannot read as a certificate is left alone, never overwritten', async () => {
    const out = tempDir();
    fs.writeFileSync(path.join(out, 'dev.pem'), 'notes a person keeps here');
    const cert = await selfSigned('dev');
    expect((await writeCertificateFiles(out, 'dev', new Uint8Array(cert.rawData), cert.toString('pem'), '')).pem).toBe(
      path.join(out, 'dev~2.pem'),
    );
    expect(fs.readFileSync(path.join(out, 'dev.pem'), 'utf8')).toBe('notes a person keeps here');
  });
});
