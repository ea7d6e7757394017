// `enroller profile add|list`: settings validated, secrets read from files and stored only sealed
// with the station passphrase (the CA's), never shown back.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runEnroller } from '../../helpers/cli';
import { tempDir } from '../../helpers/station';

function files(dir: string, entries: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(entries).map(([name, text]) => [
      name,
      (fs.writeFileSync(path.join(dir, name), text), path.join(dir, name)),
    ]),
  );
}

describe('enroller profile', () => {
  it('adds EST and SCEP profiles with sealed secrets, lists them without the secrets', async () => {
    const dir = tempDir();
    const f = files(tempDir(), {
      pass: 'station passphrase\n',
      password: 'est-password-XYZZY\n',
      challenge: 'scep-challenge-PLUGH\n',
      wrong: 'not the passphrase\n',
    });
    expect((await runEnroller(dir, 'ca', 'init', '--passphrase-file', f.pass!)).code).toBe(0);
    const est = await runEnroller(
      dir,
      'profile',
      'add',
      'factory-est',
      '--est',
      'https://127.0.0.1:8443',
      '--user',
      'station7',
      '--password-file',
      f.password!,
      '--passphrase-file',
      f.pass!,
    );
    expect(est).toMatchObject({
      code: 0,
      lines: [{ status: 'saved', name: 'factory-est', protocol: 'est', secrets: ['password'] }],
    });
    const scep = await runEnroller(
      dir,
      'profile',
      'add',
      'factory-scep',
      '--scep',
      'http://127.0.0.1:8080/scep',
      '--challenge-file',
      f.challenge!,
      '--ca-fingerprint',
      'AB:'.repeat(31) + 'AB',
      '--passphrase-file',
      f.pass!,
    );
    expect(scep.lines[0]).toMatchObject({ status: 'saved', protocol: 'scep', secrets: ['challenge'] });

    const list = await runEnroller(dir, 'profile', 'list');
    expect(list.lines.map((l) => l.name)).toEqual(['local', 'factory-est', 'factory-scep']);
    expect(JSON.stringify(list.lines)).not.toMatch(/XYZZY|PLUGH/);
    // Not in the database file, its WAL, or anywhere else in the data folder.
    for (const name of fs.readdirSync(dir)) {
      const p = path.join(dir, name);
      if (fs.statSync(p).isFile())
        expect(fs.readFileSync(p).includes('XYZZY') || fs.readFileSync(p).includes('PLUGH')).toBe(false);
    }
    // The secrets are sealed with the station passphrase: another one is refused.
    const wrong = await runEnroller(
      dir,
      'profile',
      'add',
      'other',
      '--scep',
      'http://127.0.0.1:8080/scep',
      '--challenge-file',
      f.challenge!,
      '--passphrase-file',
      f.wrong!,
    );
    expect(wrong).toMatchObject({ code: 1, lines: [{ status: 'failed', code: 'CA_WRONG_PASSPHRASE' }] });
  });

  it(
    'refuses bad names, bad URLs, a duplicate, a password over plain HTTP, and a client key without its ' +
      'certificate',
    async () => {
      const dir = tempDir();
      const f = files(dir, {
        pass: 'station passphrase',
        password: 'pw',
        key: '-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n',
      });
      await runEnroller(dir, 'ca', 'init', '--passphrase-file', f.pass!);
      const cases: Array<[string[], string]> = [
        [['profile', 'add', 'Bad Name', '--local'], 'PROFILE_INVALID'],
        [['profile', 'add', 'x', '--est', 'ftp://example'], 'PROFILE_INVALID'],
        [['profile', 'add', 'x', '--scep', 'not a url'], 'PROFILE_INVALID'],
        [['profile', 'add', 'x'], 'PROFILE_INVALID'],
        [['profile', 'add', 'local', '--local'], 'PROFILE_EXISTS'],
        [
          [
            'profile',
            'add',
            'x',
            '--est',
            'http://127.0.0.1:1',
            '--user',
            'u',
            '--password-file',
            f.password!,
            '--passphrase-file',
            f.pass!,
          ],
          'ENROLL_INSECURE_AUTH',
        ],
        [
          ['profile', 'add', 'x', '--est', 'https://127.0.0.1:1', '--client-key', f.key!, '--passphrase-file', f.pass!],
          'PROFILE_INVALID',
        ],
        [['profile', 'add', 'x', '--scep', 'http://127.0.0.1:1/scep', '--ca-fingerprint', 'abc'], 'PROFILE_INVALID'],
      ];
      for (const [args, code] of cases)
        expect((await runEnroller(dir, ...args)).lines[0], args.join(' ')).toMatchObject({ status: 'failed', code });
      expect((await runEnroller(dir, 'profile', 'add', 'spare', '--local')).code).toBe(0);
      expect((await runEnroller(dir, 'profile', 'add', 'spare', '--local')).lines[0]).toMatchObject({
        code: 'PROFILE_EXISTS',
      });
      expect((await runEnroller(dir, 'profile', 'add', 'spare', '--local', '--replace')).code).toBe(0);
    },
  );
});
