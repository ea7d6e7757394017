// The benchmarks' side of sim-host.ts: N simulated modems on PTYs in a child process of their own,
// as separate hardware would be, and the wire-plus-modem bound of what each exchanged.
import { fork } from 'node:child_process';
import path from 'node:path';

export interface HostedModems {
  readonly ports: string[];
  /** Bytes each modem exchanged so far (in + out). */
  bytes(): Promise<number[]>;
  /** The span from the first byte any modem received to the last answer any sent (Date.now() ms). */
  session(): Promise<{ firstIn: number; lastOut: number }>;
  stop(): Promise<void>;
}

export async function hostModems(options: {
  count: number;
  dir: string;
  seedPrefix: string;
  baud: number;
  keygenMs: number;
}): Promise<HostedModems> {
  const child = fork(path.join(import.meta.dirname, 'sim-host.ts'), [], {
    execArgv: ['--import', 'tsx', ...(process.env.SIM_PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/prof'] : [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const reply = <T>() => new Promise<T>((resolve) => child.once('message', (m) => resolve(m as T)));
  child.send({ start: options });
  const { ports } = await reply<{ ports: string[] }>();
  const report = () => {
    child.send({ report: true });
    return reply<{ bytes: number[]; sessions: Array<[number, number]> }>();
  };
  return {
    ports,
    bytes: async () => (await report()).bytes,
    session: async () => {
      const { sessions } = await report();
      return {
        firstIn: Math.min(...sessions.map(([first]) => first)),
        lastOut: Math.max(...sessions.map(([, last]) => last)),
      };
    },
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ stop: true });
      await exited;
    },
  };
}

/**
 * The least time a device can take: its bytes × 10 bits ÷ the line rate, plus the time the modem
 * itself spends (KEYGEN). Ports run in parallel, each its own wire: a batch's bound is its slowest.
 */
export function wireBoundMs(bytes: readonly number[], baud: number, keygenMs: number): number {
  return Math.max(...bytes.map((b) => (b * 10 * 1000) / baud + keygenMs));
}
