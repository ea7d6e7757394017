// The paths of a run's CSR files, in order, packed into one buffer with where each ends. As strings
// in an array, every path of a 100,000-file run stays alive for the whole run, and V8 lets its old
// generation grow to a few times what stays alive: ~25 MB more peak RSS (#18). Packed, they are one
// buffer the collector never walks; a path is a string again only while its file is in flight.
export class PathList {
  readonly length: number;
  readonly #bytes: Buffer;
  /** Where path i ends in #bytes (it starts where path i - 1 ends). */
  readonly #ends: Uint32Array;

  constructor(paths: readonly string[]) {
    this.length = paths.length;
    this.#ends = new Uint32Array(paths.length);
    let total = 0;
    for (const [i, file] of paths.entries()) this.#ends[i] = total += Buffer.byteLength(file);
    this.#bytes = Buffer.allocUnsafeSlow(total);
    for (const [i, file] of paths.entries()) this.#bytes.write(file, this.#start(i));
  }

  /** Path `index`, or undefined past the end. */
  at(index: number): string | undefined {
    if (!(index >= 0 && index < this.length)) return undefined;
    return this.#bytes.toString('utf8', this.#start(index), this.#ends[index]);
  }

  #start(index: number): number {
    return index === 0 ? 0 : this.#ends[index - 1]!;
  }
}
