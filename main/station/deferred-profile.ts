// The station CA's profile while its key is still being decrypted. Unlocking runs PBKDF2 with
// 600,000 iterations (about 0.3 s) on Node's thread pool; a CLI run that starts its devices at the
// same time has them identified and making their keys meanwhile, and only the enrollment step
// waits for the key (#18). A wrong passphrase fails that step, and the command, with its code.
import type { Enroller } from '../enroll/enroller';
import type { ActiveProfile } from './profiles';

export function deferredProfile(
  pending: Pick<ActiveProfile, 'name' | 'settings'>,
  active: Promise<ActiveProfile>,
): ActiveProfile {
  // Handled here too: a batch whose devices all fail before enrolling never awaits it.
  active.catch(() => undefined);
  const enroller: Enroller = {
    protocol: 'local',
    caCerts: async (context) => (await active).enroller.caCerts(context),
    enroll: async (csrDer, context) => (await active).enroller.enroll(csrDer, context),
    poll: async (transaction, context) => (await active).enroller.poll(transaction, context),
  };
  return { name: pending.name, settings: pending.settings, enroller, trustPem: undefined, challenge: undefined };
}
