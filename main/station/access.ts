// Roles at the station (WISeKey INeS style): operators run batches, supervisors configure the
// station and unlock it, auditors read. A fresh station has nobody registered and allows
// everything; once a supervisor exists every call is checked against the caller's role, on every
// transport (the API layer asks here before any handler runs).
import { EnrollerError } from '../../shared/errors';
import type { Access, Role, Session } from '../../shared/contract';
import { allowed } from '../../shared/contract/define';
import { hashPin, pinMatches } from '../pki/pin-hash';
import type { AuditLog } from '../store/audit-log';
import type { Db } from '../store/database';
import { OperatorStore } from '../store/operator-store';
import { SettingsStore } from '../store/settings-store';

const FACTORY_MODE_KEY = 'station.factoryMode';
const PIN_FAILURES_KEY = 'access.pinFailures';
/**
 * Sign-in is held after the third wrong PIN in a row, longer each time (seconds), up to five
 * minutes: guessing a 4-digit PIN takes days instead of minutes. Kept in the database, so a
 * restart does not reset it; a right PIN does.
 */
const PIN_HOLD_SECONDS = [2, 10, 60, 300];
const PIN_FREE_TRIES = 2;

export class StationAccess {
  readonly #db: Db;
  readonly #audit: AuditLog;
  readonly #operators: OperatorStore;
  readonly #settings: SettingsStore;
  /** Signed-in sessions (a window, a WebSocket, a CLI run): session id → who. */
  readonly #sessions = new Map<string, { name: string; role: Role }>();

  constructor(db: Db, audit: AuditLog) {
    this.#db = db;
    this.#audit = audit;
    this.#operators = new OperatorStore(db);
    this.#settings = new SettingsStore(db);
  }

  get enforced(): boolean {
    return this.#operators.hasSupervisor();
  }

  get factoryMode(): boolean {
    return (this.#settings.text(FACTORY_MODE_KEY) ?? 'locked') === 'locked';
  }

  session(session: string): Session {
    const who = this.#sessions.get(session);
    return {
      rolesEnforced: this.enforced,
      factoryMode: this.factoryMode,
      ...(who ? { name: who.name, role: who.role } : {}),
    };
  }

  /** Throws AUTH_REQUIRED / AUTH_FORBIDDEN unless the session may call something of this access. */
  authorize(access: Access, session: string, what: string): void {
    if (access === 'public' || !this.enforced) return;
    const who = this.#sessions.get(session);
    if (!who) throw new EnrollerError('AUTH_REQUIRED', `Sign in with your PIN to ${what}.`);
    if (allowed(who.role, access, this.factoryMode)) return;
    throw new EnrollerError(
      'AUTH_FORBIDDEN',
      `${who.name} is signed in as ${who.role}; ${what} needs ` +
        `${access === 'operate' ? 'an operator or a supervisor' : 'a supervisor'}.`,
      { role: who.role, access },
    );
  }

  login(session: string, pin: string, name?: string): Session {
    const failures = this.#pinFailures();
    const waitSeconds = Math.ceil((failures.lockedUntil - Date.now()) / 1000);
    if (waitSeconds > 0)
      throw new EnrollerError(
        'AUTH_LOCKED',
        `Too many wrong PINs in a row: sign-in is held for ${waitSeconds} s more. Ask a supervisor if you forgot ` +
          `your PIN.`,
        { waitSeconds },
      );
    const match = this.#operators.list().find((o) => (!name || o.name === name) && pinMatches(pin, o.pinHash));
    if (!match) {
      this.#refused(name, failures.count + 1);
      throw new EnrollerError('AUTH_WRONG_PIN', 'That PIN is not right.');
    }
    if (failures.count > 0) this.#setPinFailures({ count: 0, lockedUntil: 0 });
    this.#sessions.set(session, { name: match.name, role: match.role });
    this.#audit.append('session.login', match.name, { role: match.role }, match.name);
    return this.session(session);
  }

  /** A wrong PIN: on record, and from the third in a row sign-in is held a while. */
  #refused(name: string | undefined, count: number): void {
    const hold = count > PIN_FREE_TRIES ? PIN_HOLD_SECONDS[Math.min(count - PIN_FREE_TRIES, 4) - 1]! : 0;
    this.#db
      .transaction(() => {
        this.#setPinFailures({ count, lockedUntil: Date.now() + hold * 1000 });
        this.#audit.append('session.refused', name ?? '(unnamed)', { wrongInARow: count }, 'station');
        if (hold > 0) this.#audit.append('session.locked', 'sign-in', { wrongInARow: count, seconds: hold }, 'station');
      })
      .immediate();
  }

  #pinFailures(): { count: number; lockedUntil: number } {
    return this.#settings.get(PIN_FAILURES_KEY) ?? { count: 0, lockedUntil: 0 };
  }

  #setPinFailures(value: { count: number; lockedUntil: number }): void {
    this.#settings.put(PIN_FAILURES_KEY, value);
  }

  logout(session: string): Session {
    this.#sessions.delete(session);
    return this.session(session);
  }

  actorOf(session: string, fallback: string): string {
    return this.#sessions.get(session)?.name ?? fallback;
  }

  addOperator(name: string, role: Role, pin: string, actor: string): { name: string; role: Role } {
    if (!this.enforced && role !== 'supervisor')
      throw new EnrollerError(
        'AUTH_FORBIDDEN',
        'Register a supervisor first: roles start to count once a supervisor exists.',
      );
    this.#operators.put(name, role, hashPin(pin), () => this.#audit.append('operator.saved', name, { role }, actor));
    return { name, role };
  }

  operators(): Array<{ name: string; role: Role }> {
    return this.#operators.list().map(({ name, role }) => ({ name, role }));
  }

  setFactoryMode(locked: boolean, actor: string): void {
    this.#db
      .transaction(() => {
        this.#settings.putText(FACTORY_MODE_KEY, locked ? 'locked' : 'unlocked');
        this.#audit.append('station.factoryMode', locked ? 'locked' : 'unlocked', {}, actor);
      })
      .immediate();
  }
}
