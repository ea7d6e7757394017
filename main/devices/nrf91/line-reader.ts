// Splits the modem's byte stream into logical lines. Byte-oriented and chunking-independent:
// the same bytes give the same lines however the UART delivers them.
//  - CR and LF end a line only outside double quotes: a %CMNG read carries PEM with real
//    newlines inside one quoted field (nrf91-at.md §1.2). Blank lines are dropped.
//  - A physical line inside quotes that is exactly a final result (OK / ERROR / +CME ERROR)
//    cannot be PEM (base64 lines are multiples of 4 characters and never hold a space), so it
//    ends the quote: one stray `"` from a noisy device must not swallow the reply.
//  - ANSI escape sequences are removed; invalid UTF-8 becomes U+FFFD; other control bytes drop.
//  - A line longer than the cap is discarded up to the next line break and reported.
import { parseFinalResult } from './final-result';

export type LineEvent =
  { readonly kind: 'line'; readonly text: string } | { readonly kind: 'overflow'; readonly bytes: number };

export const DEFAULT_MAX_LINE_BYTES = 64 * 1024;

const CR = 0x0d;
const LF = 0x0a;
const QUOTE = 0x22;
const ESC = 0x1b;

export class LineReader {
  readonly #maxLineBytes: number;
  #line: Uint8Array;
  #length = 0;
  #inQuotes = false;
  /** Where the current physical line (inside quotes) starts in #line. */
  #physicalStart = 0;
  /** ANSI escape state: 0 none, 1 after ESC, 2 inside a CSI sequence. */
  #escape = 0;
  #discarding = false;
  readonly #decoder = new TextDecoder('utf-8', { fatal: false });

  constructor(maxLineBytes = DEFAULT_MAX_LINE_BYTES) {
    this.#maxLineBytes = maxLineBytes;
    this.#line = new Uint8Array(Math.min(maxLineBytes, 4096));
  }

  push(chunk: Uint8Array): LineEvent[] {
    const events: LineEvent[] = [];
    for (const byte of chunk) this.#byte(byte, events);
    return events;
  }

  #byte(byte: number, events: LineEvent[]): void {
    // A line break always ends an escape sequence (as terminals execute C0 controls inside
    // one), so noise with a stray ESC cannot swallow the line holding OK.
    if (byte === CR || byte === LF) this.#escape = 0;
    if (this.#escape !== 0 || byte === ESC) {
      this.#ansi(byte);
      return;
    }
    if (this.#discarding) {
      if (byte === CR || byte === LF) this.#discarding = false;
      return;
    }
    if (byte === CR || byte === LF) {
      if (!this.#inQuotes) {
        this.#emit(this.#length, events);
        return;
      }
      if (this.#finalInsideQuotes(events)) return;
      this.#append(byte, events);
      this.#physicalStart = this.#length;
      return;
    }
    if (byte === QUOTE) this.#inQuotes = !this.#inQuotes;
    else if (byte < 0x20 && byte !== 0x09) return; // NUL, BEL, backspace…: not text
    this.#append(byte, events);
  }

  #ansi(byte: number): void {
    if (this.#escape === 0) this.#escape = 1;
    else if (this.#escape === 1) this.#escape = byte === 0x5b /* [ */ ? 2 : 0;
    else if (byte >= 0x40 && byte <= 0x7e) this.#escape = 0; // CSI final byte
  }

  #append(byte: number, events: LineEvent[]): void {
    if (this.#length >= this.#maxLineBytes) {
      // Reported now, not at the next line break: a flood may never send one.
      events.push({ kind: 'overflow', bytes: this.#length + 1 });
      this.#discarding = true;
      this.#reset();
      return;
    }
    if (this.#length === this.#line.length) {
      const grown = new Uint8Array(Math.min(this.#line.length * 2, this.#maxLineBytes));
      grown.set(this.#line);
      this.#line = grown;
    }
    this.#line[this.#length++] = byte;
  }

  /** Inside quotes, a physical line that is a final result closes the quote and the reply. */
  #finalInsideQuotes(events: LineEvent[]): boolean {
    const physical = this.#decoder.decode(this.#line.subarray(this.#physicalStart, this.#length));
    if (!parseFinalResult(physical)) return false;
    this.#emit(this.#physicalStart, events);
    events.push({ kind: 'line', text: physical.trim() });
    return true;
  }

  #emit(end: number, events: LineEvent[]): void {
    const text = this.#decoder.decode(this.#line.subarray(0, end)).replace(/^[\r\n \t]+|[\r\n \t]+$/g, '');
    if (text.length > 0) events.push({ kind: 'line', text });
    this.#reset();
  }

  #reset(): void {
    this.#length = 0;
    this.#inQuotes = false;
    this.#physicalStart = 0;
  }
}
