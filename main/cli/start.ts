// The CLI's entry as a function: `main/cli.ts` calls it from the sources, the launcher from the
// bundle (main/bin/enroller.cjs), which loads the bundle as one CommonJS script with V8's code cache.
// First: the X.509 library's dependency injection needs the Reflect polyfill before any of it loads.
import 'reflect-metadata';
import { asCliProcess } from './cli-process';
import { runCli } from './program';

/** Runs one command line in this process. */
export function startCli(args: readonly string[]): Promise<void> {
  return asCliProcess(() => runCli(args));
}
