// Worker threads fed in batches (main/worker-batches.ts) and the two jobs a bulk run gives them:
// proofs of possession (crypto-workers.ts) and certificate files (file-writer.ts). Real workers, real
// OpenSSL, real files; and a worker that dies, which must refuse every request after it, not hang.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { certificatePem } from '../../../main/devices/files/csr-files';
import { FileWriter } from '../../../main/devices/files/file-writer';
import { pemBlock } from '../../../main/pki/pem';
import { CryptoWorkers } from '../../../main/pki/crypto-workers';
import { WorkerBatches } from '../../../main/worker-batches';
import { tempDir } from '../../helpers/station';

describe('proofs of possession on workers', () => {
  const pool = new CryptoWorkers({ workers: 2 });
  afterAll(() => pool.close());
  const data = Buffer.from('certificationRequestInfo, as signed');

  it('tells a signature the key made from one it did not, for each kind of key, many at once', async () => {
    const keys = [
      crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }),
      crypto.generateKeyPairSync('ec', { namedCurve: 'P-384' }),
      crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }),
    ];
    const cases = Array.from({ length: 150 }, (_, i) => {
      const { publicKey, privateKey } = keys[i % 3]!;
      const spki = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }));
      const signature = crypto.sign('sha256', data, { key: privateKey, dsaEncoding: 'der' });
      if (i % 5 === 0) signature[signature.length - 1]! ^= 1;
      return { spki, signature, verified: i % 5 !== 0 };
    });
    const proofs = await Promise.all(cases.map((c) => pool.prove(c.spki, 'sha256', data, c.signature)));
    expect(proofs.map((p) => p.verified)).toEqual(cases.map((c) => c.verified));
    expect(proofs[0]!.key).toMatchObject({
      asymmetricKeyType: 'ec',
      asymmetricKeyDetails: { namedCurve: 'prime256v1' },
    });
    expect(proofs[1]!.key).toMatchObject({ asymmetricKeyDetails: { namedCurve: 'secp384r1' } });
    expect(proofs[2]!.key).toMatchObject({ asymmetricKeyType: 'rsa', asymmetricKeyDetails: { modulusLength: 2048 } });
  });

  it('answers "no key" for bytes that are no key at all', async () => {
    const proof = await pool.prove(Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x00), 'sha256', data, Uint8Array.of(1));
    expect(proof).toEqual({ verified: false, key: undefined });
  });
});

describe('a worker that dies', () => {
  it('refuses what it was given and everything after, at once', async () => {
    const broken = new WorkerBatches<number, number>('function answer() { process.exit(3); }');
    await expect(broken.run(1)).rejects.toThrow();
    await expect(broken.run(2)).rejects.toThrow();
    await broken.close();
  });
});

describe('certificate files on a worker', () => {
  const writer = new FileWriter();
  afterAll(() => writer.close());

  it('puts each file in place whole, under its name, and leaves no temporary file', async () => {
    const dir = tempDir();
    const files = Array.from({ length: 40 }, (_, i) => ({
      file: path.join(dir, `d${i}.der`),
      data: crypto.randomBytes(700),
    }));
    await writer.write(files);
    for (const { file, data } of files) expect(fs.readFileSync(file).equals(data)).toBe(true);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(fs.statSync(files[0]!.file).mode & 0o777).toBe(0o644);
  });

  it("follows a certificate's PEM with the chain given once, byte for byte as certificatePem makes it", async () => {
    const chainPem = '\n-----BEGIN CERTIFICATE-----\nQUJD\n-----END CERTIFICATE-----\n\n';
    const chained = new FileWriter(chainPem);
    try {
      const dir = tempDir();
      const leafPem = pemBlock('CERTIFICATE', crypto.randomBytes(300));
      const der = crypto.randomBytes(300);
      const pem = path.join(dir, 'd.pem');
      await chained.write([
        { file: pem, data: Buffer.from(leafPem), chained: true },
        { file: path.join(dir, 'd.der'), data: der },
      ]);
      expect(fs.readFileSync(pem, 'utf8')).toBe(certificatePem(leafPem, chainPem));
      expect(fs.readFileSync(path.join(dir, 'd.der')).equals(der), 'a file not chained is only its data').toBe(true);
    } finally {
      await chained.close();
    }
  });

  it('names what went wrong with its code', async () => {
    const missing = path.join(tempDir(), 'no-such-folder', 'x.pem');
    await expect(writer.write([{ file: missing, data: Uint8Array.of(1) }])).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
