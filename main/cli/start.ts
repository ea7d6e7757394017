// The CLI's entry as a function: `main/cli.ts` calls it from the sources, the launcher from the
// bundle (main/bin/enroller.cjs), which loads the bundle as one CommonJS script with V8's code cache.
// First: the X.509 library's dependency injection needs the Reflect polyfill before any of it loads.
import 'reflect-metadata';
import { z } from 'zod';
import { asCliProcess } from './cli-process';
import { runCli } from './program';

// Zod compiles each object schema's parser with `new Function` on its first parse: 3–5 ms each
// here, which V8's code cache cannot keep, for a command that parses each schema a handful of
// times. Interpreted, a first parse costs a fraction of that, and a warm one the same (a device
// type: 17.4 µs against 16.7 compiled), so `serve` loses nothing by it either (#18).
z.config({ jitless: true });

/** Runs one command line in this process. */
export function startCli(args: readonly string[]): Promise<void> {
  return asCliProcess(() => runCli(args));
}
