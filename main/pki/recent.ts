// The last few hundred results of some costly work, by key; the oldest is forgotten first. For the
// per-certificate caches of bulk work (#18): bounded, so a run of 100,000 holds what one of 500 does.
/** A key for these bytes, wherever they lie (a view into a larger buffer reads only its own). */
export function keyOfBytes(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

export class Recent<T> {
  readonly #size: number;
  readonly #kept = new Map<string, T>();

  constructor(size = 512) {
    this.#size = size;
  }

  get(key: string): T | undefined {
    return this.#kept.get(key);
  }

  keep(key: string, value: T): void {
    this.#kept.set(key, value);
    if (this.#kept.size > this.#size) this.#kept.delete(this.#kept.keys().next().value!);
  }
}
