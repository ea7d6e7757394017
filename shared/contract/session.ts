// Who is at the station: signing in with a PIN, and the people a supervisor registers.
import { z } from 'zod';

export const Role = z.enum(['operator', 'supervisor', 'auditor']);
export type Role = z.infer<typeof Role>;

export const OperatorName = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, dot, dash or underscore (1–64)');
const Pin = z.string().regex(/^\d{4,12}$/, 'a PIN is 4 to 12 digits');

export const Session = z.object({
  /** False on a fresh station with no operators: everything is allowed until a supervisor exists. */
  rolesEnforced: z.boolean(),
  name: OperatorName.optional(),
  role: Role.optional(),
  factoryMode: z.boolean(),
});
export type Session = z.infer<typeof Session>;

export const sessionMethods = {
  'session:whoami': {
    kind: 'query',
    access: 'public',
    summary: 'Who this window is signed in as, and whether roles are enforced.',
    request: z.object({}).strict(),
    response: Session,
  },
  'session:login': {
    kind: 'command',
    access: 'public',
    summary: 'Sign in with a PIN (the name is optional: the PIN finds its operator).',
    request: z.object({ name: OperatorName.optional(), pin: Pin }).strict(),
    response: Session,
  },
  'session:logout': {
    kind: 'command',
    access: 'public',
    summary: 'Sign this window out.',
    request: z.object({}).strict(),
    response: Session,
  },
  'operator:add': {
    kind: 'command',
    access: 'configure',
    summary: 'Register a person with a role and a PIN (the first one must be a supervisor).',
    request: z.object({ name: OperatorName, role: Role, pin: Pin }).strict(),
    response: z.object({ name: OperatorName, role: Role }),
  },
  'operator:list': {
    kind: 'query',
    access: 'read',
    summary: 'The people registered at this station.',
    request: z.object({}).strict(),
    response: z.array(z.object({ name: OperatorName, role: Role })),
  },
  'station:factoryMode': {
    kind: 'command',
    access: 'configure',
    summary: 'Lock (or unlock) the station settings: while locked only supervisors change them.',
    request: z.object({ locked: z.boolean() }).strict(),
    response: Session,
  },
} as const;
