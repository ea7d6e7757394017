// A real station on a real temporary data folder (real SQLite file), for tests.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger, type Logger } from '../../main/log';
import { Station } from '../../main/station/station';

export function tempDir(prefix = 'enroller-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A logger that writes JSON lines into a file the test can read back. */
export function fileLogger(dir: string): { log: Logger; file: string } {
  const file = path.join(dir, 'test.log');
  return { log: createLogger({ destination: file, level: 'debug' }), file };
}

export function openTestStation(dataDir = tempDir()): Station {
  const { log } = fileLogger(dataDir);
  return Station.open({ dataDir, appVersion: '0.0.0-test', mode: 'cli', log });
}

/** Waits, polling every 20 ms, until `check` holds; fails after `ms`. */
export async function until(check: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
