// Which serial ports may hold an nRF91, and when they come and go. USB listing ranks Nordic's
// own kits first: SEGGER J-Link OB (VID 0x1366) and Nordic's USB stack (VID 0x1915); factory
// jigs (FTDI, CP210x) are listed after them and found by probing with AT (nrf91-at.md §8.1).
// PTYs are not listed by the OS: pass their paths explicitly.
import { EventEmitter } from 'node:events';
import { serialBinding } from './serial-binding';

export interface PortCandidate {
  readonly path: string;
  readonly vendorId: string | undefined;
  readonly productId: string | undefined;
  readonly serialNumber: string | undefined;
  readonly manufacturer: string | undefined;
  /** 0 = a Nordic kit, 1 = another USB serial adapter, 2 = anything else. */
  readonly rank: number;
  readonly kit: string | undefined;
}

export const NORDIC_VIDS: ReadonlySet<string> = new Set(['1366', '1915']);

/** J-Link OB serial-number prefixes of Nordic's kits (nrfcredstore v2, nrf91-at.md §6.1). */
const KIT_PREFIXES: ReadonlyArray<[prefix: string, kit: string]> = [
  ['0009600', 'nRF9160 DK'],
  ['0010509', 'nRF9161 DK'],
  ['0010512', 'nRF9151 DK'],
  ['0010520', 'nRF9151 DK'],
  ['0010550', 'Thingy:91 X'],
  ['0010551', 'Thingy:91 X'],
  ['0010513', 'Thingy:91 X'],
  ['THINGY91X', 'Thingy:91 X'],
  ['THINGY91', 'Thingy:91'],
  ['PCA20035', 'Thingy:91'],
];

export interface ListedPort {
  readonly path: string;
  readonly vendorId?: string | undefined;
  readonly productId?: string | undefined;
  readonly serialNumber?: string | undefined;
  readonly manufacturer?: string | undefined;
}

export function rankPorts(ports: readonly ListedPort[]): PortCandidate[] {
  return ports
    .map((p) => {
      const vid = p.vendorId?.toLowerCase();
      const kit = KIT_PREFIXES.find(([prefix]) => p.serialNumber?.toUpperCase().startsWith(prefix))?.[1];
      const rank = vid && NORDIC_VIDS.has(vid) ? 0 : vid ? 1 : 2;
      return {
        path: p.path,
        vendorId: vid,
        productId: p.productId?.toLowerCase(),
        serialNumber: p.serialNumber,
        manufacturer: p.manufacturer,
        rank,
        kit,
      };
    })
    .sort((a, b) => a.rank - b.rank || a.path.localeCompare(b.path, undefined, { numeric: true }));
}

export async function listPorts(): Promise<PortCandidate[]> {
  return rankPorts(await serialBinding.list());
}

export interface PortWatcherEvents {
  attached: [port: PortCandidate];
  detached: [path: string];
}

/** Polls the OS port list and reports what appeared and what went away. */
export class PortWatcher extends EventEmitter<PortWatcherEvents> {
  readonly #known = new Map<string, PortCandidate>();
  readonly #list: () => Promise<PortCandidate[]>;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(list: () => Promise<PortCandidate[]> = listPorts) {
    super();
    this.#list = list;
  }

  async poll(): Promise<void> {
    const now = new Map((await this.#list()).map((p) => [p.path, p]));
    for (const [path, port] of now) if (!this.#known.has(path)) this.emit('attached', port);
    for (const path of this.#known.keys()) if (!now.has(path)) this.emit('detached', path);
    this.#known.clear();
    for (const [path, port] of now) this.#known.set(path, port);
  }

  start(intervalMs = 1000): void {
    this.stop();
    void this.poll().catch(() => undefined);
    this.#timer = setInterval(() => void this.poll().catch(() => undefined), intervalMs);
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
