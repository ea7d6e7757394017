// The CLI's first move: when a station runs on the data folder (the app or `enroller serve`), send
// it the command line and relay what comes back, instead of opening the database and unlocking the
// CA in this process. Loads nothing but Node's own modules, so an attached command starts at once.
import fs from 'node:fs';
import type net from 'node:net';
import { resolveDataDir } from '../../station/data-dir';
import { commandNamed, dataDirFlag } from '../command-names';
import { promptOnTerminal } from '../invocation';
import {
  type ClientMessage,
  connectTo,
  encode,
  keyPath,
  lineReader,
  socketPath,
  type StationMessage,
} from './protocol';

// The launcher also names the command before it loads the CLI: each command has its own code cache.
export { commandNamed };

/** Commands that are a station themselves, or need none: always run here. */
const RUN_HERE = new Set(['serve', 'sim']);
const HELP = new Set(['-h', '--help', '-V', '--version', '--no-attach']);

/** The command's exit status when a running station ran it; null when there is none to run it. */
export async function attachOrNull(args: readonly string[]): Promise<number | null> {
  const name = commandNamed(args);
  if (!name || RUN_HERE.has(name) || args.some((a) => HELP.has(a))) return null;
  const dataDir = resolveDataDir({ flag: dataDirFlag(args) });
  const key = readKey(dataDir);
  if (key === undefined) return null;
  const socket = await connectTo(socketPath(dataDir));
  if (!socket) return null;
  return relay(socket, {
    type: 'run',
    key,
    args: [...args],
    cwd: process.cwd(),
    interactive: process.stdin.isTTY === true,
    stderrIsTTY: process.stderr.isTTY === true,
  });
}

function readKey(dataDir: string): string | undefined {
  try {
    return fs.readFileSync(keyPath(dataDir), 'utf8');
  } catch {
    return undefined;
  }
}

function relay(socket: net.Socket, run: ClientMessage): Promise<number> {
  const send = (message: ClientMessage) => socket.write(encode(message));
  const cancel = () => send({ type: 'cancel' });
  process.on('SIGINT', cancel);
  process.on('SIGTERM', cancel);
  return new Promise((resolve) => {
    let code = 1;
    socket.on(
      'data',
      lineReader<StationMessage>((message) => {
        if (message.type === 'stdout') process.stdout.write(message.text);
        else if (message.type === 'stdout-bytes') process.stdout.write(Buffer.from(message.base64, 'base64'));
        else if (message.type === 'stderr') process.stderr.write(message.text);
        else if (message.type === 'prompt')
          void promptOnTerminal(message.question).then((value) => send({ type: 'answer', id: message.id, value }));
        else if (message.type === 'exit') code = message.code;
      }),
    );
    socket.once('close', () => {
      process.off('SIGINT', cancel);
      process.off('SIGTERM', cancel);
      resolve(code);
    });
    send(run);
  });
}
