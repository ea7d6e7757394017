// The station CA's profile while its key is still being decrypted. Unlocking runs PBKDF2 with
// 600,000 iterations (about 0.3 s) on Node's thread pool while a CLI run's devices make their keys
// (unlock-start.ts), and only the enrollment step waits for the key (#18). A wrong passphrase fails
// that step, and the command, with its code.
import type { Enroller } from '../enroll/enroller';
import type { ActiveProfile } from './profiles';

/** `needed`: told each time the profile is used, for an unlock that has not started yet (unlock-start.ts). */
export function deferredProfile(
  pending: Pick<ActiveProfile, 'name' | 'settings'>,
  active: Promise<ActiveProfile>,
  needed: () => void = () => undefined,
): ActiveProfile {
  // Handled here too: a batch whose devices all fail before enrolling never awaits it.
  active.catch(() => undefined);
  const ready = () => {
    needed();
    return active;
  };
  const enroller: Enroller = {
    protocol: 'local',
    caCerts: async (context) => (await ready()).enroller.caCerts(context),
    enroll: async (csrDer, context) => (await ready()).enroller.enroll(csrDer, context),
    poll: async (transaction, context) => (await ready()).enroller.poll(transaction, context),
  };
  return { name: pending.name, settings: pending.settings, enroller, trustPem: undefined, challenge: undefined };
}
