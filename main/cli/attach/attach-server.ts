// The running station's door for CLI commands: a Unix socket in the data folder (protocol.ts).
// Each connection is one command line, run by the same program as a terminal would run it, but
// against this station — already open and unlocked — with its output, prompts, exit status and
// Ctrl-C carried over the socket. Roles apply as in a terminal: the PIN comes with --pin-file.
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import { EnrollerError } from '../../../shared/errors';
import type { Logger } from '../../log';
import { forSource } from '../../log';
import { writeOwnerOnlyFile } from '../../station/owner-only-file';
import { type Invocation, type RunCli, type RunningStation, runInvocation } from '../invocation';
import {
  type ClientMessage,
  connectTo,
  encode,
  keyPath,
  lineReader,
  MAX_SOCKET_PATH,
  socketPath,
  type StationMessage,
} from './protocol';

export interface AttachServer {
  readonly path: string;
  close(): Promise<void>;
}

/** Opens the socket (replacing a stale one) and writes its key; undefined when the path is too long. */
export async function startAttachServer(options: {
  dataDir: string;
  running: RunningStation;
  runCli: RunCli;
  log: Logger;
}): Promise<AttachServer | undefined> {
  const log = forSource(options.log, 'attach');
  const file = socketPath(options.dataDir);
  if (Buffer.byteLength(file) > MAX_SOCKET_PATH) {
    log.warn({ file }, 'data folder path too long for a local socket: CLI commands will not attach');
    return undefined;
  }
  const listening = await connectTo(file);
  if (listening) {
    listening.destroy();
    // Another station already serves this folder (a second `serve`): its socket stays its own.
    log.warn({ file }, 'another station already answers on this data folder: CLI commands attach to it');
    return undefined;
  }
  const key = crypto.randomBytes(32).toString('hex');
  writeOwnerOnlyFile(keyPath(options.dataDir), key);
  fs.rmSync(file, { force: true }); // left by a station that died
  const server = net.createServer((socket) => serveConnection(socket, key, options, log));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(file, () => resolve());
  });
  fs.chmodSync(file, 0o600);
  return {
    path: file,
    close: () =>
      new Promise<void>((resolve) => {
        fs.rmSync(keyPath(options.dataDir), { force: true });
        server.close(() => resolve());
      }),
  };
}

function serveConnection(
  socket: net.Socket,
  key: string,
  options: { running: RunningStation; runCli: RunCli },
  log: Logger,
): void {
  const send = (message: StationMessage) => {
    if (!socket.destroyed) socket.write(encode(message));
  };
  const session = new AttachedSession(send);
  let started = false;
  socket.on(
    'data',
    lineReader<ClientMessage>((message) => {
      if (message.type === 'run' && !started) {
        started = true;
        if (!sameKey(message.key, key)) {
          log.warn('a client without the station key was refused');
          const said = 'This client did not prove it runs as the station user (the key beside the socket).';
          send({ type: 'stderr', text: `error ATTACH_REFUSED: ${said}\n` });
          send({ type: 'exit', code: 1 });
          socket.end();
          return;
        }
        void session.run(message, options).then((code) => {
          send({ type: 'exit', code });
          socket.end();
        });
      } else if (message.type === 'answer') session.answer(message.id, message.value);
      else if (message.type === 'cancel') session.cancel();
    }),
  );
  // A client gone mid-command (terminal closed) is a cancel: devices stop at their last step.
  socket.on('close', () => session.cancel());
  socket.on('error', () => session.cancel());
}

function sameKey(given: unknown, key: string): boolean {
  if (typeof given !== 'string' || given.length !== key.length) return false;
  return crypto.timingSafeEqual(Buffer.from(given), Buffer.from(key));
}

/** One attached command: its invocation, with prompts and cancels carried over the socket. */
class AttachedSession {
  readonly #send: (message: StationMessage) => void;
  readonly #prompts = new Map<number, { resolve: (value: string) => void; reject: (error: Error) => void }>();
  #promptCount = 0;
  readonly #cancelListeners = new Set<() => void>();
  #cancelled = false;
  #exitCode = 0;

  constructor(send: (message: StationMessage) => void) {
    this.#send = send;
  }

  async run(message: Extract<ClientMessage, { type: 'run' }>, options: { running: RunningStation; runCli: RunCli }) {
    const inv: Invocation = {
      stdout: {
        write: (text) =>
          this.#send(
            typeof text === 'string'
              ? { type: 'stdout', text }
              : { type: 'stdout-bytes', base64: Buffer.from(text).toString('base64') },
          ),
      },
      stderr: {
        write: (text) =>
          this.#send({ type: 'stderr', text: typeof text === 'string' ? text : Buffer.from(text).toString() }),
        isTTY: message.stderrIsTTY,
      },
      interactive: message.interactive,
      prompt: (question) => this.#prompt(question),
      setExitCode: (code) => (this.#exitCode = code),
      onCancel: (listener) => {
        this.#cancelListeners.add(listener);
        return () => this.#cancelListeners.delete(listener);
      },
      running: options.running,
    };
    await runInvocation(inv, () => options.runCli(message.args, { cwd: message.cwd }));
    return this.#exitCode;
  }

  answer(id: number, value: string): void {
    this.#prompts.get(id)?.resolve(value);
    this.#prompts.delete(id);
  }

  cancel(): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    for (const listener of this.#cancelListeners) listener();
    // Nobody is left to answer a question the command is waiting on.
    for (const { reject } of this.#prompts.values())
      reject(new EnrollerError('DEVICE_CANCELLED', 'The command was cancelled while it waited for an answer.'));
    this.#prompts.clear();
  }

  #prompt(question: string): Promise<string> {
    const id = ++this.#promptCount;
    this.#send({ type: 'prompt', id, question });
    return new Promise((resolve, reject) => this.#prompts.set(id, { resolve, reject }));
  }
}
