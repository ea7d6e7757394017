// Device types and profiles, side by side with what is locked and why.
import { Divider, Stack } from '@mantine/core';
import { allowed, type EnrollerApi, type Session } from '../../../shared/contract';
import { DeviceTypeEditor } from './DeviceTypeEditor';
import { ProfileEditor } from './ProfileEditor';

/**
 * Configuration is open to supervisors, and to everyone while factory mode is unlocked or roles are
 * not yet enforced.
 */
export function canConfigure(session: Session): boolean {
  return (
    !session.rolesEnforced || (session.role !== undefined && allowed(session.role, 'configure', session.factoryMode))
  );
}

export function SetupView({ api, session }: { api: EnrollerApi; session: Session }) {
  const editable = canConfigure(session);
  return (
    <Stack>
      <DeviceTypeEditor api={api} editable={editable} />
      <Divider />
      <ProfileEditor api={api} editable={editable} />
    </Stack>
  );
}
