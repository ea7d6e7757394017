// The certificate file names a bulk run has taken, kept as 32-bit hashes in one typed array:
// about 8 bytes a name instead of the ~64 of a string in a Set. It matters beyond the bytes: V8
// lets its old generation grow to a few times what stays alive, so 100,000 names held as strings
// cost a 100,000-CSR run ~30 MB more peak RSS (#18). Two names can share a hash: the second then
// looks taken and goes the one-at-a-time way (writeCertificateFiles), which looks on disk and never
// overwrites, so a shared hash costs one file a little time, never a certificate. The hash is
// seeded per run, so names cannot be chosen to pile onto one slot.
import crypto from 'node:crypto';

const EMPTY = 0;

export class TakenNames {
  readonly #seed: number;
  #slots = new Uint32Array(1024);
  #count = 0;

  constructor(names: Iterable<string> = [], seed = crypto.randomBytes(4).readUInt32LE()) {
    this.#seed = seed;
    for (const name of names) this.add(name);
  }

  get size(): number {
    return this.#count;
  }

  /** False: no name added is this one. True: it was added, or shares a hash with one that was. */
  mightHave(name: string): boolean {
    const hash = nameHash(name, this.#seed);
    return this.#slots[slotFor(this.#slots, hash)] === hash;
  }

  add(name: string): void {
    const hash = nameHash(name, this.#seed);
    const at = slotFor(this.#slots, hash);
    if (this.#slots[at] === hash) return;
    this.#slots[at] = hash;
    // At most half full, so a look ends at an empty slot after a probe or two.
    if (++this.#count * 2 > this.#slots.length) this.#grow();
  }

  #grow(): void {
    const slots = new Uint32Array(this.#slots.length * 2);
    for (const hash of this.#slots) if (hash !== EMPTY) slots[slotFor(slots, hash)] = hash;
    this.#slots = slots;
  }
}

/** Where `hash` is in `slots`, or else the empty slot where it goes: the next free one from its own. */
function slotFor(slots: Uint32Array, hash: number): number {
  const last = slots.length - 1;
  let at = hash & last;
  while (slots[at] !== EMPTY && slots[at] !== hash) at = (at + 1) & last;
  return at;
}

/** FNV-1a over the UTF-16 code units from a seeded start, then MurmurHash3's finaliser; never 0 (EMPTY). */
export function nameHash(name: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0 || 1;
}
