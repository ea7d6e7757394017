// The station CA unlocked for one command: with the passphrase given (a file or a prompt), or — for a
// command attached to a running station that is already unlocked — with the one it holds.
import type { LocalAuthority } from '../pki/authority/local-authority';
import type { Station } from '../station/station';
import { invocation } from './invocation';
import { stationPassphrase } from './secrets';

export async function unlockedAuthority(
  station: Station,
  passphraseFile: string | undefined,
  actor: string,
): Promise<LocalAuthority> {
  const running = invocation().running;
  const held = running && !passphraseFile ? running.bench.sessionPassphrase() : undefined;
  return station.ca.unlock(held ?? (await stationPassphrase(passphraseFile)), actor);
}
