// The shape every contract entry has. Methods are commands (change state) or queries (read it);
// events flow from main to the UI only.
import type { z } from 'zod';

/**
 * Who may call a method once the station has operators: `public` anyone (login, versions),
 * `read` any signed-in role (auditors too), `operate` operators and supervisors (batches),
 * `configure` supervisors — and operators too while factory mode is unlocked; `supervise`
 * supervisors only, always (disabling devices, revoking certificates).
 */
export type Access = 'public' | 'read' | 'operate' | 'configure' | 'supervise' | 'backup';

/** Whether a role may call a method of this access (the UI asks it too, to grey out what it cannot do). */
export function allowed(role: 'operator' | 'supervisor' | 'auditor', access: Access, factoryMode: boolean): boolean {
  switch (access) {
    case 'public':
      return true;
    case 'read':
      return true;
    case 'operate':
      return role !== 'auditor';
    case 'configure':
      return role === 'supervisor' || (role === 'operator' && !factoryMode);
    case 'supervise':
      return role === 'supervisor';
    case 'backup':
      // A backup holds the whole ledger: supervisors, and auditors who keep records.
      return role === 'supervisor' || role === 'auditor';
  }
}

export interface MethodSpec {
  readonly kind: 'command' | 'query';
  readonly access: Access;
  readonly summary: string;
  readonly request: z.ZodType;
  readonly response: z.ZodType;
}

export interface EventSpec {
  readonly summary: string;
  readonly payload: z.ZodType;
}
