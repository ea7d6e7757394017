// Passphrases, passwords and PINs reach the CLI from a file or an interactive prompt only —
// never from argv or the environment, where other users and crash reports can see them.
import fs from 'node:fs';
import readline from 'node:readline';
import { Writable } from 'node:stream';
import { EnrollerError } from '../../shared/errors';

export async function readSecret(file: string | undefined, prompt: string): Promise<string> {
  if (file) {
    // One trailing newline is what `echo secret > file` leaves; it is not part of the secret.
    return fs.readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  }
  if (!process.stdin.isTTY) {
    throw new EnrollerError(
      'CA_PASSPHRASE_REQUIRED',
      `${prompt} is needed: give --passphrase-file FILE (no terminal to ask on).`,
    );
  }
  const muted = new Writable({ write: (_chunk, _enc, done) => done() });
  const rl = readline.createInterface({ input: process.stdin, output: muted, terminal: true });
  process.stderr.write(`${prompt}: `);
  try {
    return await new Promise<string>((resolve) => rl.question('', resolve));
  } finally {
    rl.close();
    process.stderr.write('\n');
  }
}
