// One AT conversation with one modem: exactly one command in flight, a deadline and a cancel
// path on every command, replies recognised by whole final-result lines, and everything
// unsolicited (URCs, boot banners) kept apart from replies. See nrf91-at.md §1 and §8.3.
import { EventEmitter } from 'node:events';
import { EnrollerError } from '../../../shared/errors';
import type { Logger } from '../../log';
import type { Transport } from '../transport';
import { bareError, cmeError } from './cme';
import { parseFinalResult } from './final-result';
import { isUrc } from './parsers/urc';
import { LineReader, type LineEvent } from './line-reader';

/**
 * at_host's buffer (CONFIG_AT_HOST_CMD_MAX_LEN, 4096 by default and at most) holds one byte less.
 * A CR-terminated build keeps the LF of our previous CRLF at the front, a CRLF build keeps our CR
 * at the end: the command text itself gets three bytes less than the setting. Overflowing inside
 * a quoted PEM wedges a real device until it is reset, so this is checked before a byte is sent.
 */
export const DEFAULT_COMMAND_BUFFER_BYTES = 4096;
export const commandLimitFor = (bufferBytes: number): number => bufferBytes - 3;
export const MAX_COMMAND_BYTES = commandLimitFor(DEFAULT_COMMAND_BUFFER_BYTES);

export const TIMEOUTS = {
  /** Most commands answer in milliseconds; a silent modem is detected within this. */
  default: 2_500,
  /** CFUN may wait for the modem to detach from the network. */
  cfun: 10_000,
  /** KEYGEN and credential writes take seconds on real modems (nrfcredstore waits 15 s). */
  credential: 15_000,
  /** Quiet time before a resync after a lost reply, so a late answer is not taken for a new one. */
  resyncQuiet: 250,
  /** A resync probe (`AT`) answers in milliseconds on a modem that is listening. */
  probe: 1_000,
} as const;

const BANNER = /^\*\*\* Booting /;
const MAX_REPLY_LINES = 256;

export interface AtClientOptions {
  readonly maxLineBytes?: number;
  /** The firmware's CONFIG_AT_HOST_CMD_MAX_LEN, when a device type says it is smaller than 4096. */
  readonly commandBufferBytes?: number;
}

export interface CommandOptions {
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

interface InFlight {
  readonly command: string;
  readonly lines: string[];
  readonly resolve: (lines: string[]) => void;
  readonly reject: (error: EnrollerError) => void;
}

export interface AtClientEvents {
  urc: [line: string];
  reset: [];
}

export class AtClient extends EventEmitter<AtClientEvents> {
  readonly transport: Transport;
  readonly #log: Logger;
  readonly #reader: LineReader;
  #queue: Promise<unknown> = Promise.resolve();
  #current: InFlight | undefined;
  #needsResync = false;
  #lastDataAt = 0;
  readonly #maxCommandBytes: number;
  readonly #unsubscribe: Array<() => void>;

  constructor(transport: Transport, log: Logger, options: AtClientOptions = {}) {
    super();
    this.transport = transport;
    this.#log = log;
    this.#reader = new LineReader(options.maxLineBytes);
    this.#maxCommandBytes = commandLimitFor(options.commandBufferBytes ?? DEFAULT_COMMAND_BUFFER_BYTES);
    this.#unsubscribe = [
      transport.onData((chunk) => {
        this.#lastDataAt = Date.now();
        for (const event of this.#reader.push(chunk)) this.#onLine(event);
      }),
      transport.onClose((error) => {
        this.#fail(
          new EnrollerError(
            'DEVICE_DISCONNECTED',
            `The device on ${transport.label} went away (unplugged or closed).`,
            { cause: error?.message },
          ),
        );
      }),
    ];
  }

  /** The longest command text this modem's buffer takes whole. */
  get maxCommandBytes(): number {
    return this.#maxCommandBytes;
  }

  /** Sends one command; resolves with its information lines when the modem answers OK. */
  command(command: string, options: CommandOptions = {}): Promise<string[]> {
    const run = this.#queue.then(() => this.#run(command, options));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    for (const off of this.#unsubscribe) off();
    this.#fail(new EnrollerError('DEVICE_DISCONNECTED', `The connection to ${this.transport.label} was closed.`));
    await this.transport.close();
  }

  async #run(command: string, options: CommandOptions): Promise<string[]> {
    const bytes = Buffer.byteLength(command);
    if (bytes > this.#maxCommandBytes) {
      throw new EnrollerError(
        'DEVICE_COMMAND_TOO_LONG',
        `The command is ${bytes} bytes; the modem accepts at most ${this.#maxCommandBytes}. Nothing was sent.`,
        { bytes, limit: this.#maxCommandBytes },
      );
    }
    if (this.#needsResync) await this.#resync(options.signal);
    return this.#exchange(command, options);
  }

  #exchange(command: string, options: CommandOptions): Promise<string[]> {
    if (this.transport.closed) {
      return Promise.reject(
        new EnrollerError('DEVICE_DISCONNECTED', `The device on ${this.transport.label} is not connected.`),
      );
    }
    if (options.signal?.aborted) return Promise.reject(aborted(command));
    const timeoutMs = options.timeoutMs ?? TIMEOUTS.default;
    return new Promise<string[]>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        this.#current = undefined;
      };
      const timer = setTimeout(() => {
        done();
        this.#needsResync = true;
        reject(
          new EnrollerError(
            'DEVICE_TIMEOUT',
            `The modem did not answer ${shortName(command)} within ${timeoutMs / 1000} s.`,
            { command: shortName(command), timeoutMs },
          ),
        );
      }, timeoutMs);
      const onAbort = () => {
        done();
        this.#needsResync = true;
        reject(aborted(command));
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.#current = {
        command,
        lines: [],
        resolve: (lines) => {
          done();
          resolve(lines);
        },
        reject: (error) => {
          done();
          reject(error);
        },
      };
      this.#log.debug({ command: shortName(command) }, 'at send');
      this.transport.write(Buffer.from(`${command}\r\n`)).catch((error: unknown) => {
        this.#current?.reject(
          new EnrollerError('DEVICE_DISCONNECTED', `Could not write to ${this.transport.label}.`, {
            cause: String(error),
          }),
        );
      });
    });
  }

  /**
   * After a lost reply: wait for the line to go quiet, then prove the modem answers again. A probe
   * lost while the modem was still busy (its late reply arrives meanwhile) is sent again. A host
   * that died in the middle of a quoted `%CMNG` write leaves the modem's parser inside the quotes,
   * swallowing every later byte as content (nrf91-at.md §1); a lone `"` closes them, and any final
   * result to it shows the parser is back outside. If the modem was not inside quotes, the first
   * `"` opened them and gets no answer; the second closes them again.
   */
  async #resync(signal: AbortSignal | undefined): Promise<void> {
    const probes = ['AT', '"', '"', 'AT'];
    for (let i = 0, busyRetries = 0; i < probes.length; i++) {
      await this.#quiet();
      const sentAt = Date.now();
      const answer = await this.#probe(probes[i]!, signal);
      if (answer === 'silent' && this.#lastDataAt > sentAt && busyRetries++ < 2) {
        i--; // the modem was talking (a late reply): it did not hear the probe
        continue;
      }
      if (answer === 'ok' || (answer === 'error' && probes[i] !== 'AT')) {
        if (probes[i] !== 'AT') {
          this.#log.warn('closed an open quote left in the modem by an interrupted write');
          if ((await this.#probe('AT', signal)) !== 'ok') continue;
        }
        this.#needsResync = false;
        return;
      }
    }
    throw new EnrollerError(
      'DEVICE_NOT_RESPONDING',
      `The modem on ${this.transport.label} stopped answering. Replug or reset it, then retry.`,
    );
  }

  async #quiet(): Promise<void> {
    while (Date.now() - this.#lastDataAt < TIMEOUTS.resyncQuiet) {
      await new Promise((r) => setTimeout(r, TIMEOUTS.resyncQuiet));
    }
  }

  /** One resync probe: answered OK, answered with an error, or no answer. Unplug and cancel end the resync. */
  async #probe(probe: string, signal: AbortSignal | undefined): Promise<'ok' | 'error' | 'silent'> {
    try {
      await this.#exchange(probe, { timeoutMs: TIMEOUTS.probe, ...(signal ? { signal } : {}) });
      return 'ok';
    } catch (error) {
      if (error instanceof EnrollerError && (error.code === 'DEVICE_DISCONNECTED' || error.code === 'DEVICE_ABORTED'))
        throw error;
      const silent =
        !(error instanceof EnrollerError) ||
        ['DEVICE_TIMEOUT', 'DEVICE_LINE_TOO_LONG', 'DEVICE_RESET'].includes(error.code);
      return silent ? 'silent' : 'error';
    }
  }

  #onLine(event: LineEvent): void {
    const current = this.#current;
    if (event.kind === 'overflow') {
      this.#log.warn({ bytes: event.bytes }, 'discarded an over-long line from the device');
      if (current) {
        this.#needsResync = true;
        current.reject(
          new EnrollerError(
            'DEVICE_LINE_TOO_LONG',
            `The device sent a line of ${event.bytes} bytes, far more than any reply; it was discarded.`,
            { bytes: event.bytes },
          ),
        );
      }
      return;
    }
    const line = event.text;
    if (current && current.lines.length === 0 && line === current.command) {
      this.#log.debug({ command: shortName(line) }, 'skipped the echo of a command');
      return;
    }
    if (BANNER.test(line)) {
      // The modem forgot +CMEE=1 and its functional mode: the link (modem-link.ts) sets it up again.
      this.emit('reset');
      // The banner may have crossed the command on the wire (printed before the modem read it):
      // then an answer to it is still coming, and must not be taken for the next command's.
      if (current) this.#needsResync = true;
      current?.reject(
        new EnrollerError(
          'DEVICE_RESET',
          'The modem restarted in the middle of a command. Check its power and cable, then retry.',
          { command: shortName(current.command) },
        ),
      );
      return;
    }
    const final = parseFinalResult(line);
    if (current && final) {
      if (final.kind === 'ok') current.resolve(current.lines);
      else if (final.kind === 'cme') current.reject(cmeError(final.code, shortName(current.command)));
      else current.reject(bareError(shortName(current.command)));
      return;
    }
    if (!current || isUrc(line)) {
      this.emit('urc', line);
      return;
    }
    if (current.lines.length >= MAX_REPLY_LINES) {
      this.#needsResync = true;
      current.reject(
        new EnrollerError(
          'DEVICE_GARBAGE',
          `The device flooded the reply to ${shortName(current.command)} with more than ${MAX_REPLY_LINES} lines.`,
        ),
      );
      return;
    }
    current.lines.push(line);
  }

  #fail(error: EnrollerError): void {
    this.#current?.reject(error);
  }
}

/** Commands can carry certificates; logs and errors name only the command's head. */
export function shortName(command: string): string {
  const head = command.split(/[,"\r\n]/, 1)[0] ?? command;
  return head.length > 40 ? `${head.slice(0, 40)}…` : head;
}

function aborted(command: string): EnrollerError {
  return new EnrollerError('DEVICE_ABORTED', `${shortName(command)} was cancelled.`, { command: shortName(command) });
}
