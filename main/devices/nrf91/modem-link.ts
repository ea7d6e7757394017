// The link to one modem, kept working through what real benches do to it: a reply lost or garbled
// on a loaded USB hub, a modem that restarts (a brown-out, a kit that resets when its port opens),
// a USB device that drops off the bus and comes back. Reads are simply asked again. Changes are
// never sent twice blindly: after a lost reply the caller's read-back says whether the change took.
// A restarted or returned modem is set up again first (+CMEE=1, the same IMEI, offline when the
// work needs it), so the command that failed runs again on a modem in the state it left.
import { EventEmitter } from 'node:events';
import { EnrollerError, type ErrorCode } from '../../../shared/errors';
import type { Logger } from '../../log';
import type { LinkRecovery } from '../link-recovery';
import type { Transport } from '../transport';
import { AtClient, shortName, TIMEOUTS, type CommandOptions } from './at-client';
import { parseCfun, parseImei } from './parsers/identity';

export interface LinkOptions {
  /** Opens the same port again after it vanished (re-enumeration). Without it an unplug ends the job. */
  readonly reopen?: () => Promise<Transport>;
  /** How long a vanished port may take to come back. */
  readonly reenumerationWindowMs?: number;
  /** The firmware's CONFIG_AT_HOST_CMD_MAX_LEN, when smaller than 4096. */
  readonly commandBufferBytes?: number;
}

export const LINK_LIMITS = {
  /** Tries per command, the first included. */
  attempts: 3,
  reenumerationWindowMs: 10_000,
  reopenPollMs: 100,
} as const;

/** Functional modes in which credential writes and KEYGEN are allowed (LTE not active). */
export const OFFLINE_MODES: ReadonlySet<number> = new Set([0, 4, 20, 44]);

/** Replies lost or mangled on the way: the command may have run, the modem is otherwise fine. */
const HICCUPS = new Set<ErrorCode>(['DEVICE_TIMEOUT', 'DEVICE_GARBAGE', 'DEVICE_LINE_TOO_LONG']);

export class ModemLink extends EventEmitter<{ recovered: [LinkRecovery] }> {
  #at: AtClient;
  readonly #log: Logger;
  readonly #options: LinkOptions;
  /** Restarts seen (banners, silent reboots, a port that came back) and how many were set up again. */
  #restarts = 0;
  #setUp = 0;
  /** Restarts already on record (found by a failed command, or between two commands). */
  #reported = 0;
  #cmeeOn = false;
  #imei: string | undefined;
  #offline = false;
  /** The port went away and did not come back: nothing more to try. */
  #gone = false;

  constructor(at: AtClient, log: Logger, options: LinkOptions = {}) {
    super();
    this.#at = at;
    this.#log = log;
    this.#options = options;
    this.#watch(at);
  }

  get at(): AtClient {
    return this.#at;
  }

  /** The identity a modem that restarts or comes back must still have. */
  pin(imei: string): void {
    this.#imei = imei;
  }

  /** While true, a modem that restarts or comes back is taken offline again before anything else. */
  set offline(value: boolean) {
    this.#offline = value;
  }

  /** `AT` until it answers (the first command after power-up may get ERROR), then `AT+CMEE=1`. */
  async hello(options: CommandOptions = {}): Promise<void> {
    await this.#hello(options);
    // A kit that reset as its port opened is set up by now: that restart needs nothing more.
    this.#setUp = this.#reported = this.#restarts;
  }

  async #hello(options: CommandOptions): Promise<void> {
    let lastError: unknown;
    for (let attempt = 0; attempt < LINK_LIMITS.attempts; attempt++) {
      try {
        await this.#at.command('AT', options);
        await this.#at.command('AT+CMEE=1', options);
        this.#cmeeOn = true;
        return;
      } catch (error) {
        lastError = error;
        if (isFinal(error)) throw error;
      }
    }
    throw lastError;
  }

  /** An idempotent command: asked again after a lost or garbled reply, or on a modem set up again. */
  async read<T>(command: string, parse: (lines: string[]) => T, options: CommandOptions = {}): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#ready(command, options);
        return parse(await this.#at.command(command, options));
      } catch (error) {
        await this.#recover(error, command, attempt, options);
      }
    }
  }

  /**
   * A command that changes the modem: after a lost or garbled reply, `settled` reads the modem back
   * and says whether the change took (then it is not sent again, and the result is undefined).
   */
  async change<T = string[]>(
    command: string,
    settled: () => Promise<boolean>,
    options: CommandOptions = {},
    parse: (lines: string[]) => T | Promise<T> = (lines) => lines as T,
  ): Promise<T | undefined> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#ready(command, options);
        return await parse(await this.#at.command(command, options));
      } catch (error) {
        const recovery = await this.#recover(error, command, attempt, options, true);
        if (await settled()) {
          this.#report({ ...recovery, readBack: true });
          return undefined;
        }
        this.#report(recovery);
      }
    }
  }

  #watch(at: AtClient): void {
    at.on('reset', () => {
      this.#restarts += 1;
    });
  }

  /** Sets up a modem that restarted (or came back) before the next command goes to it. */
  async #ready(command: string, options: CommandOptions): Promise<void> {
    if (this.#at.transport.closed && this.#options.reopen) await this.#reconnect(options);
    const seen = this.#restarts;
    if (seen === this.#setUp) return;
    if (seen !== this.#reported) {
      // Seen between two commands (a banner): nothing failed, but it is on record all the same.
      this.#reported = seen;
      this.#report({ kind: 'restarted', command: shortName(command), cause: 'DEVICE_RESET' });
    }
    await this.#hello(options);
    if (this.#imei) {
      const imei = parseImei(await this.#at.command('AT+CGSN=1', options));
      if (imei !== this.#imei)
        throw new EnrollerError(
          'DEVICE_IDENTITY_CHANGED',
          `A different modem (IMEI ${imei}) answered on ${this.#at.transport.label} after it restarted; ` +
            `this job was for ${this.#imei}. Nothing more was written.`,
          { expected: this.#imei, reported: imei },
        );
    }
    if (this.#offline && !OFFLINE_MODES.has(parseCfun(await this.#at.command('AT+CFUN?', options)))) {
      await this.#at.command('AT+CFUN=4', { ...options, timeoutMs: TIMEOUTS.cfun });
    }
    this.#setUp = seen;
  }

  /** Decides whether a failed command may run again; throws the error when not (or when out of attempts). */
  async #recover(
    error: unknown,
    command: string,
    attempt: number,
    options: CommandOptions,
    quiet = false,
  ): Promise<LinkRecovery> {
    if (!(error instanceof EnrollerError)) throw error;
    const kind = attempt < LINK_LIMITS.attempts ? await this.#diagnose(error, options) : undefined;
    if (!kind) throw error;
    const recovery: LinkRecovery = { kind, command: shortName(command), cause: error.code };
    if (kind !== 'retried') this.#reported = this.#restarts;
    this.#log.warn({ ...recovery, attempt }, 'link recovered; running the command again');
    if (!quiet) this.#report(recovery);
    return recovery;
  }

  #report(recovery: LinkRecovery): void {
    this.emit('recovered', recovery);
  }

  async #diagnose(error: EnrollerError, options: CommandOptions): Promise<LinkRecovery['kind'] | undefined> {
    if (options.signal?.aborted) return undefined;
    if (HICCUPS.has(error.code)) return 'retried';
    if (error.code === 'DEVICE_RESET') return 'restarted';
    if (error.code === 'DEVICE_DISCONNECTED' && this.#options.reopen && !this.#gone) {
      await this.#reconnect(options, error);
      return 'reconnected';
    }
    // A brown-out prints no banner, but the modem forgets its functional mode (518 while the work
    // needs it offline) and +CMEE=1 (a bare ERROR where a coded one was due).
    const forgotOffline = error.code === 'MODEM_ONLINE' && this.#offline;
    if (forgotOffline || (error.code === 'MODEM_ERROR' && (await this.#forgotCmee(options)))) {
      this.#restarts += 1;
      return 'restarted';
    }
    return undefined;
  }

  async #forgotCmee(options: CommandOptions): Promise<boolean> {
    if (!this.#cmeeOn) return false;
    try {
      return (await this.#at.command('AT+CMEE?', options)).some((l) => /^\+CMEE: ?0$/.test(l));
    } catch {
      return false;
    }
  }

  /** The port vanished: wait for the same port to come back, within the window, and talk to it anew. */
  async #reconnect(options: CommandOptions, cause?: EnrollerError): Promise<void> {
    const { reopen } = this.#options;
    const label = this.#at.transport.label;
    const windowMs = this.#options.reenumerationWindowMs ?? LINK_LIMITS.reenumerationWindowMs;
    const deadline = Date.now() + windowMs;
    await this.#at.close().catch(() => undefined);
    this.#log.warn({ port: label }, 'the port went away; waiting for the device to come back');
    for (;;) {
      options.signal?.throwIfAborted();
      try {
        const transport = await reopen!();
        this.#at = new AtClient(transport, this.#log, this.#atOptions());
        this.#watch(this.#at);
        this.#restarts += 1; // a device back on the bus has rebooted: set it up and check who it is
        return;
      } catch (error) {
        if (Date.now() >= deadline) {
          this.#gone = true;
          throw new EnrollerError(
            'DEVICE_DISCONNECTED',
            `The device on ${label} went away and did not come back within ${windowMs / 1000} s. Replug it, then ` +
              `retry.`,
            { port: label, cause: cause?.code ?? (error as Error).message },
          );
        }
        await new Promise((r) => setTimeout(r, LINK_LIMITS.reopenPollMs));
      }
    }
  }

  #atOptions(): { commandBufferBytes?: number } {
    const { commandBufferBytes } = this.#options;
    return commandBufferBytes ? { commandBufferBytes } : {};
  }
}

/** Errors no second try can help: the device is gone for good, the job was cancelled, the command cannot be sent. */
function isFinal(error: unknown): boolean {
  return (
    error instanceof EnrollerError &&
    ['DEVICE_DISCONNECTED', 'DEVICE_ABORTED', 'DEVICE_COMMAND_TOO_LONG'].includes(error.code)
  );
}
