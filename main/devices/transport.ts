// The narrow pipe every device protocol talks through: bytes out, bytes in, and an end.
// Serial ports, PTYs and the in-process simulator all satisfy it; protocol code never
// touches serialport directly.

export interface Transport {
  /** Resolves once the bytes are handed to the OS (or the peer, in process). */
  write(bytes: Uint8Array): Promise<void>;
  /** Every chunk received, in order. Returns the unsubscribe function. */
  onData(listener: (chunk: Uint8Array) => void): () => void;
  /** Called once when the link ends: closed by us, unplugged, or failed. */
  onClose(listener: (error?: Error) => void): () => void;
  close(): Promise<void>;
  readonly closed: boolean;
  /** Where it leads, for logs and messages: a port path, or "sim:<imei>". */
  readonly label: string;
}

/** Shared bookkeeping for Transport implementations: listener sets and a once-only close. */
export class TransportEvents {
  readonly #data = new Set<(chunk: Uint8Array) => void>();
  readonly #close = new Set<(error?: Error) => void>();
  closed = false;

  onData(listener: (chunk: Uint8Array) => void): () => void {
    this.#data.add(listener);
    return () => this.#data.delete(listener);
  }

  onClose(listener: (error?: Error) => void): () => void {
    if (this.closed) {
      queueMicrotask(() => listener());
      return () => undefined;
    }
    this.#close.add(listener);
    return () => this.#close.delete(listener);
  }

  emitData(chunk: Uint8Array): void {
    if (this.closed) return;
    for (const listener of this.#data) listener(chunk);
  }

  emitClose(error?: Error): void {
    if (this.closed) return;
    this.closed = true;
    for (const listener of this.#close) listener(error);
    this.#close.clear();
    this.#data.clear();
  }
}
