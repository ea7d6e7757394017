// Whether the person signed in may call methods of an access level (everyone, before there are operators).
import { allowed, type Access, type Session } from '../../../shared/contract';

export function may(session: Session, access: Access): boolean {
  return !session.rolesEnforced || (session.role !== undefined && allowed(session.role, access, session.factoryMode));
}
