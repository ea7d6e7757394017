// Passphrases, passwords and PINs reach the CLI from a file or an interactive prompt only —
// never from argv or the environment, where other users and crash reports can see them.
import fs from 'node:fs';
import { EnrollerError } from '../../shared/errors';
import { invocation } from './invocation';

export async function readSecret(file: string | undefined, prompt: string): Promise<string> {
  if (file) {
    // One trailing newline is what `echo secret > file` leaves; it is not part of the secret.
    return fs.readFileSync(file, 'utf8').replace(/\r?\n$/, '');
  }
  const inv = invocation();
  if (!inv.interactive) {
    throw new EnrollerError(
      'CA_PASSPHRASE_REQUIRED',
      `${prompt} is needed: give --passphrase-file FILE (no terminal to ask on).`,
    );
  }
  return inv.prompt(prompt);
}

/**
 * The station passphrase: from the file when one is named; else the running station's own when
 * the command is attached to one that is unlocked; else asked for.
 */
export async function stationPassphrase(file: string | undefined, prompt = 'Station passphrase'): Promise<string> {
  if (file) return readSecret(file, prompt);
  const unlocked = invocation().running?.bench.sessionPassphrase();
  return unlocked ?? readSecret(undefined, prompt);
}
