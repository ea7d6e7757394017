// One run of a CLI command: where its output goes, how it asks for a secret, its exit status and
// its cancel signal. Run from a terminal that is this process; attached to a running station
// (attach/) it is one client on the station's socket, several of which may run at once — so
// commands never touch process.stdout or process.exitCode themselves, they ask for the invocation.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Bench } from '../station/bench';
import type { Station } from '../station/station';

export interface TextSink {
  /** Text, or bytes as they are (a DER file written to stdout). */
  write(text: string | Uint8Array): void;
  readonly isTTY?: boolean;
}

/** A station already open and unlocked in the process that runs the command (attached mode). */
export interface RunningStation {
  readonly station: Station;
  /** The bench of the running station: its unlocked session is shared, its slots are not. */
  readonly bench: Bench;
}

export interface Invocation {
  readonly stdout: TextSink;
  readonly stderr: TextSink;
  /** A person can be asked (a terminal on the other end). */
  readonly interactive: boolean;
  /** Asks for a secret without echo; only when `interactive`. */
  prompt(question: string): Promise<string>;
  setExitCode(code: number): void;
  /** Calls `listener` when the person cancels (Ctrl-C, SIGTERM); returns the unsubscribe. */
  onCancel(listener: () => void): () => void;
  readonly running?: RunningStation;
}

const storage = new AsyncLocalStorage<Invocation>();

/** The invocation of the command being run; the process itself when nothing else is. */
export function invocation(): Invocation {
  return storage.getStore() ?? processInvocation;
}

export function runInvocation<T>(inv: Invocation, work: () => Promise<T>): Promise<T> {
  return storage.run(inv, work);
}

const processInvocation: Invocation = {
  stdout: process.stdout,
  stderr: process.stderr,
  get interactive() {
    return process.stdin.isTTY === true;
  },
  prompt: promptOnTerminal,
  setExitCode(code) {
    process.exitCode = code;
  },
  onCancel(listener) {
    process.once('SIGINT', listener);
    process.once('SIGTERM', listener);
    return () => {
      process.off('SIGINT', listener);
      process.off('SIGTERM', listener);
    };
  },
};

/** Reads a line from the terminal with echo off; the question goes to stderr. */
export async function promptOnTerminal(question: string): Promise<string> {
  // Loaded here, not with the CLI: only a command that asks needs them (#18: every start pays for a module).
  const [readline, { Writable }] = await Promise.all([import('node:readline'), import('node:stream')]);
  const muted = new Writable({ write: (_chunk, _enc, done) => done() });
  const rl = readline.createInterface({ input: process.stdin, output: muted, terminal: true });
  process.stderr.write(`${question}: `);
  try {
    return await new Promise<string>((resolve) => rl.question('', resolve));
  } finally {
    rl.close();
    process.stderr.write('\n');
  }
}

/** Runs one command line (the words after `enroller`); `cwd` is the person's folder when it is not ours. */
export type RunCli = (args: readonly string[], options?: { cwd?: string }) => Promise<void>;
