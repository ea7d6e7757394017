// Remembering the station passphrase in the operating system's keychain, so a technician can
// unlock with one click on a station a supervisor set up. The wrap is an extra door, never the
// only one: the typed passphrase always works, and a lost or unreadable wrap only costs the click.
// Linux's `basic_text` backend encrypts with a hard-coded key — no protection — so it is refused.
import fs from 'node:fs';
import path from 'node:path';
import { EnrollerError } from '../../shared/errors';
import type { KeychainStatus } from '../../shared/contract';
import { writeOwnerOnlyFile } from './owner-only-file';

/** The OS keychain as the station needs it (Electron's safeStorage in the desktop app). */
export interface KeychainVault {
  /** Electron's name for the backend on Linux; the OS name elsewhere. */
  backend(): string;
  available(): Promise<boolean>;
  encrypt(plain: string): Promise<Buffer>;
  decrypt(wrapped: Buffer): Promise<string>;
}

/** Backends that give no protection at rest. */
const UNPROTECTED_BACKENDS = new Set(['basic_text']);

export class PassphraseKeychain {
  readonly #file: string;
  readonly #vault: KeychainVault | null;

  constructor(dataDir: string, vault: KeychainVault | null) {
    this.#file = path.join(dataDir, 'keychain', 'passphrase.wrapped');
    this.#vault = vault;
  }

  async status(): Promise<KeychainStatus> {
    const remembered = fs.existsSync(this.#file);
    if (!this.#vault)
      return {
        available: false,
        remembered,
        reason: 'Only the desktop app can use the OS keychain. Type the passphrase to unlock.',
      };
    const backend = this.#vault.backend();
    if (UNPROTECTED_BACKENDS.has(backend)) {
      return {
        available: false,
        backend,
        remembered,
        reason:
          `This desktop has no keychain (Electron reports "${backend}", which does not protect secrets). Type ` +
          `the passphrase to unlock.`,
      };
    }
    if (!(await this.#vault.available()))
      return {
        available: false,
        backend,
        remembered,
        reason: 'The OS keychain is locked or missing right now. Type the passphrase to unlock.',
      };
    return { available: true, backend, remembered };
  }

  async remember(passphrase: string): Promise<KeychainStatus> {
    const status = await this.status();
    if (!status.available || !this.#vault)
      throw new EnrollerError('KEYCHAIN_UNAVAILABLE', status.reason ?? 'The OS keychain is not available.');
    const wrapped = await this.#vault.encrypt(passphrase);
    fs.mkdirSync(path.dirname(this.#file), { recursive: true, mode: 0o700 });
    writeOwnerOnlyFile(this.#file, wrapped);
    return this.status();
  }

  async forget(): Promise<KeychainStatus> {
    fs.rmSync(this.#file, { force: true });
    return this.status();
  }

  /** The remembered passphrase; coded errors say why the typed one is needed instead. */
  async recall(): Promise<string> {
    const status = await this.status();
    if (!status.remembered)
      throw new EnrollerError(
        'KEYCHAIN_NOT_REMEMBERED',
        'No passphrase is remembered on this station. Type it to unlock.',
      );
    if (!status.available || !this.#vault)
      throw new EnrollerError('KEYCHAIN_UNAVAILABLE', status.reason ?? 'The OS keychain is not available.');
    try {
      return await this.#vault.decrypt(fs.readFileSync(this.#file));
    } catch (error) {
      throw new EnrollerError(
        'KEYCHAIN_UNREADABLE',
        `The remembered passphrase could not be read (${(error as Error).message}). Type it to unlock.`,
      );
    }
  }
}
