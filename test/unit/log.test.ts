import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { forSource } from '../../main/log';
import { fileLogger, tempDir } from '../helpers/station';

describe('structured logging', () => {
  it('writes JSON lines tagged by source and never writes a secret', () => {
    const { log, file } = fileLogger(tempDir());
    const secrets = {
      passphrase: 'pp-123',
      pin: '4711',
      password: 'pw-xyz',
      challenge: 'ch-abc',
      privateKey: 'PRIVATE-KEY-BYTES',
    };
    forSource(log, 'devices', { deviceId: 'nrf-1' }).info(
      { ...secrets, profile: { password: 'nested-pw' }, deep: { a: { token: 'tok-1' } } },
      'hello',
    );
    const line = JSON.parse(fs.readFileSync(file, 'utf8').trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>;
    expect(line).toMatchObject({ source: 'devices', deviceId: 'nrf-1', msg: 'hello' });
    const text = fs.readFileSync(file, 'utf8');
    for (const secret of [...Object.values(secrets), 'nested-pw', 'tok-1']) expect(text).not.toContain(secret);
  });
});
