// After 1,000 issuances, no unencrypted private-key bytes exist anywhere in the data folder or
// the logs: not the CA keys' PKCS#8, not their raw scalars, not a PEM "PRIVATE KEY" block.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { intakeCsr } from '../../../main/pki/csr-intake';
import { decryptPrivateKey } from '../../../main/pki/authority/key-vault';
import { makeCsr } from '../../helpers/csr';
import { PASSPHRASE, stationWithCa } from '../../helpers/authority';

function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

describe('CA keys at rest', () => {
  it('leaves no unencrypted key material after 1,000 issuances', async () => {
    const { station, authority, nrf91 } = await stationWithCa();
    for (let i = 0; i < 1000; i++) {
      const csr = await intakeCsr(await makeCsr({ name: `CN=dev-${i}` }));
      await authority.issue({ csr, deviceType: nrf91, deviceId: `dev-${i}`, attributes: {} });
    }
    const secrets: Buffer[] = [];
    for (const row of station.db
      .prepare<[], { encrypted_key: Buffer }>('SELECT encrypted_key FROM authorities WHERE encrypted_key IS NOT NULL')
      .all()) {
      const key = await decryptPrivateKey(new Uint8Array(row.encrypted_key), PASSPHRASE);
      secrets.push(key.export({ format: 'der', type: 'pkcs8' }));
      const jwk = key.export({ format: 'jwk' });
      secrets.push(Buffer.from(jwk.d!, 'base64url'));
    }
    station.db.pragma('wal_checkpoint(TRUNCATE)');
    station.close();
    expect(secrets).toHaveLength(4);
    const files = filesUnder(station.dataDir);
    expect(files.some((f) => f.endsWith('station.sqlite'))).toBe(true);
    for (const file of files) {
      const bytes = fs.readFileSync(file);
      for (const secret of secrets)
        expect(bytes.includes(secret), `${path.basename(file)} holds key bytes`).toBe(false);
      expect(
        bytes.includes(Buffer.from('PRIVATE KEY-----')) && !bytes.includes(Buffer.from('ENCRYPTED PRIVATE KEY')),
      ).toBe(false);
    }
  }, 120_000);
});
