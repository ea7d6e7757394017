// An nRF91 behind Nordic's AT-client firmware, as a state machine on a byte stream
// (nrf91-at.md §1–§5): no echo; CR, LF or CRLF termination counted only outside quotes; a
// 4095-byte command buffer that silently drops the rest (and wedges inside quotes); CMEE off after
// boot; CFUN states with 518 while online; real P-256 keys and CSRs; COSE evidence; SHA-256 lists;
// 513/514/519/527 where the modem gives them. Faults can be injected for the next command, and
// firmware variants chosen (echo, a smaller command buffer, an application that goes online at boot).
import crypto from 'node:crypto';
import type { Transport } from '../transport';
import { formatUuid } from '../nrf91/parsers/keygen';
import { SimCredentialStore } from './credential-store';
import { simIdentity, type SimIdentity } from './identity';
import { attestationToken, generateIdentityKey, modemKeygen } from './keygen';

export type Termination = 'CR' | 'LF' | 'CRLF';
/** Every fault the simulator can inject, by name (for `serve --sim-fault`). */
export const FAULTS = [
  'drop-reply',
  'late-reply',
  'garbage',
  'reset',
  'reset-after',
  'silent-reset',
  'unplug',
  'reenumerate',
  'flood',
  'wrong-answer',
  'urc-storm',
  'split',
  'slow',
] as const;

export type Fault =
  /** The command runs; its reply is lost on the wire. */
  | 'drop-reply'
  /** The reply comes 3 s late, after the host's deadline. */
  | 'late-reply'
  /** The reply is replaced by invalid UTF-8, a stray quote and control bytes, then OK. */
  | 'garbage'
  /** The modem reboots as the command arrives (banner printed); the command never runs. */
  | 'reset'
  /** The command runs, then the modem reboots before it can answer (banner printed). */
  | 'reset-after'
  /** A brown-out with no banner: CMEE and CFUN forget their values; the command never runs. */
  | 'silent-reset'
  /** The cable is pulled for good. */
  | 'unplug'
  /** The USB device drops off the bus and comes back (same port, rebooted), as a DK reset does. */
  | 'reenumerate'
  /** A 70 KiB line with no break. */
  | 'flood'
  /** The reply of another command (+CFUN: 1). */
  | 'wrong-answer'
  /** Thirty URCs and blank lines around and inside the reply. */
  | 'urc-storm'
  /** The reply goes out a byte or two at a time, with pauses. */
  | 'split'
  /** The reply comes 1.5 s late: slow, but inside the host's deadline. */
  | 'slow';

export interface SimulatorOptions {
  /** Same seed, same device (IMEI, UUID). */
  readonly seed: string;
  readonly firmware?: string;
  readonly termination?: Termination;
  /** Time KEYGEN takes inside the modem. */
  readonly keygenDelayMs?: number;
  /** UART line rate; bytes take 10 bit times each (8N1). 0 = unthrottled. */
  readonly baudRate?: number;
  /** Encode the CSR signatureAlgorithm with a NULL, as mfw 1.3.7 / 2.0.2 do. */
  readonly nullQuirk?: boolean;
  /** Credential file: the modem's NVM survives a simulator restart. */
  readonly stateFile?: string;
  /** Print a Zephyr boot banner when attached, as a freshly powered device does. */
  readonly bootBanner?: boolean;
  /** Echo every command line back before its reply (ATE1-style firmware; at_host does not). */
  readonly echo?: boolean;
  /** The firmware's CONFIG_AT_HOST_CMD_MAX_LEN: bytes beyond it minus one are silently dropped. */
  readonly commandBufferBytes?: number;
  /** The functional mode after boot: 0 for at_host; 1 for an application that goes online at once. */
  readonly bootCfun?: number;
  /** Called on a `reenumerate` fault: the host takes the port away and brings it back. */
  readonly onReenumerate?: () => void;
}

const DEFAULT_COMMAND_BUFFER = 4096;
/** What a storm repeats: URCs the modem really sends, and the blank lines some builds add. */
const URC_NOISE = ['+CEREG: 2,"76C1","0102DA04",7', '%CESQ: 54,2,12,1', '+CSCON: 0', '%MDMEV: PRIORITIZATION', '', ''];
const OFFLINE = new Set([0, 4, 20, 44]);
const CFUN_MODES = new Set([0, 1, 4, 20, 21, 30, 31, 40, 41, 44]);
const MODEM_OWNED = [
  { secTag: 4294967293, type: 10 },
  { secTag: 4294967294, type: 6 },
  { secTag: 4294967292, type: 11 },
];

export class Nrf91Simulator {
  readonly identity: SimIdentity;
  readonly store: SimCredentialStore;
  #transport: Transport;
  readonly #options: Required<Omit<SimulatorOptions, 'stateFile' | 'firmware' | 'onReenumerate'>>;
  readonly #onReenumerate: (() => void) | undefined;
  #buffer: number[] = [];
  #inQuotes = false;
  #busy = false;
  #generation = 0;
  #cmee = 0;
  #cfun = 0;
  #faults: Array<{ fault: Fault; when: RegExp | undefined }> = [];
  #out: Promise<void> = Promise.resolve();
  /** Bytes the modem has sent and received, for line-rate lower bounds. */
  bytesIn = 0;
  bytesOut = 0;
  /** When the first byte from the host arrived and the last answer's last byte left (Date.now()). */
  firstByteInAt: number | undefined;
  lastByteOutAt: number | undefined;
  commands = 0;
  /** Each command's head as received (content left out), for tests that count what was sent. */
  readonly received: string[] = [];
  #unsubscribe: () => void;

  constructor(transport: Transport, options: SimulatorOptions) {
    this.#transport = transport;
    this.identity = simIdentity(options.seed, options.firmware);
    this.store = new SimCredentialStore(options.stateFile);
    this.#options = {
      seed: options.seed,
      termination: options.termination ?? 'CR',
      keygenDelayMs: options.keygenDelayMs ?? 0,
      baudRate: options.baudRate ?? 0,
      nullQuirk: options.nullQuirk ?? true,
      bootBanner: options.bootBanner ?? false,
      echo: options.echo ?? false,
      commandBufferBytes: options.commandBufferBytes ?? DEFAULT_COMMAND_BUFFER,
      bootCfun: options.bootCfun ?? 0,
    };
    this.#onReenumerate = options.onReenumerate;
    this.#cfun = this.#options.bootCfun;
    this.#unsubscribe = transport.onData((chunk) => this.#receive(chunk));
    if (this.#options.bootBanner) this.#boot();
  }

  /** Back on the bus through a new link (after a re-enumeration): it has rebooted meanwhile. */
  attach(transport: Transport): void {
    this.#unsubscribe();
    this.#transport = transport;
    this.#out = Promise.resolve();
    this.#busy = false;
    this.#unsubscribe = transport.onData((chunk) => this.#receive(chunk));
    this.reboot();
  }

  get imei(): string {
    return this.identity.imei;
  }

  get functionalMode(): number {
    return this.#cfun;
  }

  /** The next command (or the next one matching `when`) suffers this fault. */
  inject(fault: Fault, when?: RegExp): void {
    this.#faults.push({ fault, when });
  }

  /** A power cycle: CMEE and CFUN forget their values, the banner prints (unless `silent`). NVM is kept. */
  reboot(silent = false): void {
    this.#buffer = [];
    this.#inQuotes = false;
    if (silent) this.#forget();
    else this.#boot();
  }

  detach(): void {
    this.#unsubscribe();
  }

  #forget(): void {
    this.#cmee = 0;
    this.#cfun = this.#options.bootCfun;
  }

  #boot(): void {
    this.#forget();
    void this.#send('*** Booting nRF Connect SDK v2.9.0-7787b2649840 ***\r\nThe AT host sample started\r\n');
  }

  #receive(chunk: Uint8Array): void {
    this.bytesIn += chunk.length;
    this.firstByteInAt ??= Date.now();
    for (const byte of chunk) {
      // While a command runs, at_host has UART RX disabled: bytes are lost.
      if (this.#busy) continue;
      if (this.#isTerminator(byte) && !this.#inQuotes) {
        this.#complete();
        continue;
      }
      if (byte === 0x22) this.#inQuotes = !this.#inQuotes;
      if ((byte === 0x08 || byte === 0x7f) && this.#buffer.length > 0) {
        this.#buffer.pop();
        continue;
      }
      if (byte === 0x00 && !this.#inQuotes) continue;
      if (this.#buffer.length < this.#options.commandBufferBytes - 1) this.#buffer.push(byte);
      // else: silently dropped, exactly like at_host
    }
  }

  #isTerminator(byte: number): boolean {
    switch (this.#options.termination) {
      case 'CR':
        return byte === 0x0d;
      case 'LF':
        return byte === 0x0a;
      case 'CRLF':
        // at_host's CRLF mode ends on LF and keeps the preceding CR in the buffer.
        return byte === 0x0a;
    }
  }

  #complete(): void {
    const raw = Buffer.from(this.#buffer).toString('utf8');
    this.#buffer = [];
    this.#inQuotes = false;
    // A leading LF (from a CRLF host on a CR build) and a trailing CR (CRLF build) are tolerated.
    const command = raw.replace(/^\n+/, '').replace(/\r$/, '');
    if (!/[^\s]/.test(command)) return; // no printable character: dropped without reply
    this.commands += 1;
    this.received.push(command.split('"', 1)[0]!.toUpperCase());
    this.#busy = true;
    const generation = ++this.#generation;
    const index = this.#faults.findIndex((f) => !f.when || f.when.test(command));
    const fault = index === -1 ? undefined : this.#faults.splice(index, 1)[0]?.fault;
    void this.#execute(command, fault).finally(() => {
      // Only if no later command has started meanwhile (RX came back with the reply).
      if (this.#generation === generation) this.#busy = false;
    });
  }

  async #execute(command: string, fault: Fault | undefined): Promise<void> {
    // The command's bytes take time on the wire before the modem has them all.
    await this.#lineDelay(Buffer.byteLength(command) + 2);
    if (this.#options.echo) await this.#send(`${command}\r\n`);
    if (await this.#instead(fault)) return;
    let reply: string | Uint8Array;
    try {
      reply = await this.#handle(command);
    } catch (error) {
      reply = error instanceof CmeError ? this.#error(error.cme) : 'ERROR\r\n';
    }
    if (fault === 'drop-reply') return;
    if (fault === 'reset-after') return this.reboot();
    // Answers after the host's deadline (or, slow, before it); RX stays off meanwhile, as in at_host.
    if (fault === 'late-reply') await delay(3_000);
    if (fault === 'slow') await delay(1_500);
    // Invalid UTF-8, a stray quote and control bytes, then OK: the reply itself is lost.
    if (fault === 'garbage')
      reply = Buffer.concat([Buffer.from([0xff, 0xfe, 0x22, 0x07]), crypto.randomBytes(8), Buffer.from('\r\nOK\r\n')]);
    if (fault === 'wrong-answer') reply = '+CFUN: 1\r\nOK\r\n';
    if (fault === 'urc-storm') reply = stormAround(typeof reply === 'string' ? reply : Buffer.from(reply).toString());
    // at_host re-enables RX as it sends the final result: a host that answers the OK at once is
    // heard. (Clearing it only after the write settles would drop such a host's next command
    // whenever this process is slow — a simulator artefact, not modem behaviour.)
    await this.#send(reply, () => (this.#busy = false), fault === 'split' ? 2 : undefined);
  }

  /** Faults that replace the command: true when the command did not run. */
  async #instead(fault: Fault | undefined): Promise<boolean> {
    switch (fault) {
      case 'unplug':
        await this.#transport.close();
        return true;
      case 'reenumerate':
        this.#onReenumerate?.();
        return true;
      case 'reset':
        this.reboot();
        return true;
      case 'silent-reset':
        this.reboot(true);
        return true;
      case 'flood':
        void this.#send('#'.repeat(70 * 1024));
        return true;
      default:
        return false;
    }
  }

  #error(cme: number): string {
    return this.#cmee === 1 ? `+CME ERROR: ${cme}\r\n` : 'ERROR\r\n';
  }

  async #handle(command: string): Promise<string> {
    const head = command.split(/[=?]/, 1)[0]!.toUpperCase();
    const rest = command.slice(head.length);
    const ok = (...lines: string[]) => lines.map((l) => `${l}\r\n`).join('') + 'OK\r\n';
    switch (head) {
      case 'AT':
        if (rest !== '') throw new SyntaxError();
        return ok();
      case 'AT+CMEE':
        if (rest === '?') return ok(`+CMEE: ${this.#cmee}`);
        if (rest === '=0' || rest === '=1') {
          this.#cmee = Number(rest.slice(1));
          return ok();
        }
        throw new SyntaxError();
      case 'AT+CFUN': {
        if (rest === '?') return ok(`+CFUN: ${this.#cfun}`);
        if (rest === '=?') return ok('+CFUN: (0,1,4,20,21,30,31,40,41,44)');
        const mode = Number(rest.slice(1));
        if (!rest.startsWith('=') || !CFUN_MODES.has(mode)) throw new SyntaxError();
        this.#cfun = mode === 21 || mode === 31 || mode === 41 ? 1 : mode;
        return ok();
      }
      case 'AT+CGSN':
        if (rest === '' || rest === '=0') return ok(this.identity.imei);
        if (rest === '=1') return ok(`+CGSN: "${this.identity.imei}"`);
        throw new SyntaxError();
      case 'AT+CGMR':
        return ok(this.identity.firmware);
      case 'AT+CGMM':
        return ok(this.identity.model);
      case 'AT+CGMI':
        return ok('Nordic Semiconductor ASA');
      case 'AT%XMODEMUUID':
        if (rest !== '') throw new SyntaxError();
        return ok(`%XMODEMUUID: ${formatUuid(this.identity.firmwareUuid)}`);
      case 'AT%ATTESTTOKEN':
        // nRF9160 firmware has no attestation token (nrf91-at.md §7): the UUID comes from KEYGEN.
        if (this.identity.firmware.includes('9160')) throw new SyntaxError();
        return ok(`%ATTESTTOKEN: "${await attestationToken(this.identity, await this.#identityKey())}"`);
      case 'AT%CMNG':
        return this.#cmng(rest, ok);
      case 'AT%KEYGEN':
        return this.#keygen(rest, ok);
      default:
        throw new SyntaxError();
    }
  }

  #cmng(rest: string, ok: (...lines: string[]) => string): string {
    const match = /^=(\d)(?:, ?(\d+))?(?:, ?(\d+))?(?:, ?"([^"]*)")?(?:, ?"([^"]*)")?$/s.exec(rest);
    if (!match) throw new SyntaxError();
    const opcode = Number(match[1]);
    const secTag = match[2] === undefined ? undefined : Number(match[2]);
    const type = match[3] === undefined ? undefined : Number(match[3]);
    const content = match[4];
    switch (opcode) {
      case 0: {
        if (secTag === undefined || type === undefined || content === undefined || content === '')
          throw new CmeError(50);
        if (!OFFLINE.has(this.#cfun)) throw new CmeError(518);
        if (secTag > 2147483647 || type > 5) throw new CmeError(514);
        if ((type === 0 || type === 1) && !looksLikePem(content)) throw new CmeError(527);
        this.store.put(secTag, type, content);
        return ok();
      }
      case 1: {
        const own = this.store
          .entries()
          .filter((e) => (secTag === undefined || e.secTag === secTag) && (type === undefined || e.type === type));
        const modem =
          secTag === undefined
            ? MODEM_OWNED.map((e) => ({
                ...e,
                sha256: crypto
                  .createHash('sha256')
                  .update(`${this.identity.imei}:${e.type}`)
                  .digest('hex')
                  .toUpperCase(),
              }))
            : [];
        return ok(...[...own, ...modem].map((e) => `%CMNG: ${e.secTag},${e.type}${this.#digest(e.sha256)}`));
      }
      case 2: {
        if (secTag === undefined || type === undefined) throw new CmeError(50);
        if (type === 2 || type === 3) throw new CmeError(514);
        const stored = this.store.get(secTag, type);
        if (!stored) throw new CmeError(513);
        return ok(`%CMNG: ${secTag},${type}${this.#digest(stored.sha256)},"${stored.content}"`);
      }
      case 3: {
        if (secTag === undefined || type === undefined) throw new CmeError(50);
        if (secTag > 2147483647) throw new CmeError(514);
        if (!OFFLINE.has(this.#cfun)) throw new CmeError(518);
        if (!this.store.delete(secTag, type)) throw new CmeError(513);
        return ok();
      }
      default:
        throw new SyntaxError();
    }
  }

  /** `,"SHA"` after tag and type — from mfw 1.3.2 on; older firmware lists no digest (nrf91-at.md §2). */
  #digest(sha256: string): string {
    const [major = 0, minor = 0, patch = 0] = (/(\d+)\.(\d+)\.(\d+)/.exec(this.identity.firmware) ?? [])
      .slice(1)
      .map(Number);
    const listsDigests = major !== 1 ? major > 1 : minor !== 3 ? minor > 3 : patch >= 2;
    return listsDigests ? `,"${sha256}"` : '';
  }

  async #keygen(rest: string, ok: (...lines: string[]) => string): Promise<string> {
    const match = /^=(\d+), ?(\d+)(?:, ?(\d))?(?:, ?"([^"]*)")?(?:, ?"([01]{9})")?$/.exec(rest);
    if (!match) throw new SyntaxError();
    const secTag = Number(match[1]);
    const keyType = Number(match[2]);
    const format = Number(match[3] ?? 0);
    if (keyType !== 2 || format !== 0) throw new CmeError(514); // only CSRs for client keys here
    if (secTag > 2147483647) throw new CmeError(514);
    if (!OFFLINE.has(this.#cfun)) throw new CmeError(518);
    if (this.store.get(secTag, 2)) throw new CmeError(519);
    const subject = match[4] ?? `CN=${formatUuid(this.identity.deviceUuid)}`;
    if (!/^(?:(?:C|ST|L|O|OU|CN)=[^,=]+)(?:,(?:C|ST|L|O|OU|CN)=[^,=]+)*$/.test(subject)) throw new CmeError(50);
    // keygenDelayMs is the whole time KEYGEN takes in the modem; the simulator's own crypto
    // (which on a bench of simulated modems shares one CPU) counts towards it, not on top.
    const began = performance.now();
    const generated = await modemKeygen({
      subject,
      keyUsage: match[5] ?? '111010000',
      secTag,
      deviceUuid: this.identity.deviceUuid,
      identityKey: await this.#identityKey(),
      nullQuirk: this.#options.nullQuirk,
    });
    await delay(Math.max(0, this.#options.keygenDelayMs - (performance.now() - began)));
    this.store.data.keys[String(secTag)] = generated.privateKeyPkcs8;
    // The public key as the modem lists it: one unwrapped base64 line, no final newline.
    const publicKey = Buffer.from(generated.publicKeySpki).toString('base64');
    this.store.put(secTag, 2, `-----BEGIN PUBLIC KEY-----\n${publicKey}\n-----END PUBLIC KEY-----`);
    const csr = Buffer.from(generated.csrDer).toString('base64url');
    return ok(`%KEYGEN: "${csr}.${Buffer.from(generated.cose).toString('base64url')}"`);
  }

  async #identityKey(): Promise<string> {
    if (!this.store.data.identityKey) {
      this.store.data.identityKey = await generateIdentityKey();
      this.store.save();
    }
    return this.store.data.identityKey;
  }

  /**
   * Queues bytes out at the UART rate, in order. `chunkSize` small splits the reply into many reads
   * (lines arrive in pieces), with pauses. `onFinalResult` runs just before the chunk that holds
   * the first byte of the reply's final result (its last OK, ERROR or +CME ERROR line): where
   * at_host re-enables RX. Not before the last chunk: a reply split two bytes at a time can end
   * "…K\r" + "\n", and a host that takes the CR as the end of the OK line answers before the LF
   * leaves. at_host hears that answer, so the simulator must too (a fault-matrix run once lost it).
   */
  #send(text: string | Uint8Array, onFinalResult?: () => void, chunkSize = 256): Promise<void> {
    const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : Buffer.from(text);
    const transport = this.#transport;
    const rxAt = onFinalResult ? finalResultAt(bytes) : 0;
    this.#out = this.#out.then(async () => {
      let reenable = onFinalResult;
      for (let offset = 0; offset < bytes.length; offset += chunkSize) {
        const chunk = bytes.subarray(offset, offset + chunkSize);
        await this.#lineDelay(chunk.length);
        if (chunkSize < 16) await delay(2);
        if (transport.closed || transport !== this.#transport) return;
        this.bytesOut += chunk.length;
        if (reenable && offset + chunk.length > rxAt) {
          reenable();
          reenable = undefined;
        }
        await transport.write(chunk).catch(() => undefined);
        this.lastByteOutAt = Date.now();
      }
      reenable?.();
    });
    return this.#out;
  }

  async #lineDelay(bytes: number): Promise<void> {
    if (this.#options.baudRate > 0) await delay((bytes * 10 * 1000) / this.#options.baudRate);
  }
}

/** Where the last final-result line (OK, ERROR, +CME ERROR: n) of a reply starts; else its last byte. */
function finalResultAt(bytes: Buffer): number {
  // latin1 keeps one character per byte, so a match's index is a byte offset.
  const matches = [...bytes.toString('latin1').matchAll(/(?<=^|[\r\n])(?:OK|ERROR|\+CME ERROR: \d+)(?=[\r\n]|$)/g)];
  return matches.at(-1)?.index ?? Math.max(0, bytes.length - 1);
}

class CmeError extends Error {
  constructor(readonly cme: number) {
    super(`CME ${cme}`);
  }
}

/** One armoured block with real LF line breaks, as 91x1 firmware checks it. */
const PEM_BLOCK = '-----BEGIN [A-Z ]+-----\\n[A-Za-z0-9+/=\\n]+\\n-----END [A-Z ]+-----';
const PEM_CONTENT = new RegExp(`^${PEM_BLOCK}(\\n${PEM_BLOCK})*$`);

function looksLikePem(content: string): boolean {
  // 91x1 firmware validates certificate content: real LF line breaks, BEGIN/END armour (§3.3).
  return PEM_CONTENT.test(content);
}

/** Noise before the reply, inside it (between information lines) and after it; lines end CRLF, CR or LF. */
function stormAround(reply: string): string {
  const endings = ['\r\n', '\r', '\n'];
  const noise = (n: number) =>
    Array.from({ length: n }, (_, i) => `${URC_NOISE[i % URC_NOISE.length]}${endings[i % 3]}`);
  const lines = reply.split('\r\n').filter((l) => l !== '');
  const final = lines.pop() ?? 'OK';
  const inside = lines.flatMap((line) => [`${line}\r\n`, ...noise(3)]);
  return [...noise(12), ...inside, `${final}\r\n`, ...noise(15)].join('');
}

function delay(ms: number): Promise<void> {
  return ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve();
}
