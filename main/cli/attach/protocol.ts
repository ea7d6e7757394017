// How a CLI command reaches a running station (the app or `enroller serve`) on the same data
// folder: one line of JSON per message over a Unix socket inside the folder. The socket is owner-
// only (0600, in a 0700 folder), and the first message must carry the key the station wrote to an
// owner-only file beside it, so a client proves it runs as the station's own user before anything
// is run (Node exposes no SO_PEERCRED; reading that file is the same proof).
import type net from 'node:net';
import path from 'node:path';

export const SOCKET_FILE = 'station.sock';
export const KEY_FILE = 'station.sock.key';
/** Unix socket paths are limited (108 bytes on Linux, 104 on macOS): longer ones are not offered. */
export const MAX_SOCKET_PATH = 100;

export function socketPath(dataDir: string): string {
  return path.join(dataDir, SOCKET_FILE);
}

export function keyPath(dataDir: string): string {
  return path.join(dataDir, KEY_FILE);
}

/** Client → station. */
export type ClientMessage =
  | {
      type: 'run';
      key: string;
      /** The words after `enroller`. */
      args: string[];
      /** Where the person is: relative paths in the arguments are taken from here. */
      cwd: string;
      /** A person at a terminal (prompts allowed; live progress lines). */
      interactive: boolean;
      stderrIsTTY: boolean;
    }
  | { type: 'answer'; id: number; value: string }
  | { type: 'cancel' };

/** Station → client. */
export type StationMessage =
  | { type: 'stdout' | 'stderr'; text: string }
  /** Bytes for stdout (DER), base64 on the line. */
  | { type: 'stdout-bytes'; base64: string }
  | { type: 'prompt'; id: number; question: string }
  | { type: 'exit'; code: number };

/** Splits a byte stream into JSON messages, one per line. */
export function lineReader<T>(onMessage: (message: T) => void): (chunk: Buffer) => void {
  let pending = '';
  return (chunk) => {
    pending += chunk.toString('utf8');
    let newline: number;
    while ((newline = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      if (line.trim()) onMessage(JSON.parse(line) as T);
    }
  };
}

export function encode(message: ClientMessage | StationMessage): string {
  return `${JSON.stringify(message)}\n`;
}

/** A connection to the station's socket, or undefined when nothing listens (a dead station leaves its file). */
export async function connectTo(file: string): Promise<net.Socket | undefined> {
  // Loaded only when there is a station to ask (its key file is there): a command with none to
  // attach to never pays for Node's socket modules (#18).
  const { connect } = await import('node:net');
  return new Promise((resolve) => {
    const socket = connect(file);
    socket.once('connect', () => resolve(socket));
    socket.once('error', () => resolve(undefined));
  });
}
