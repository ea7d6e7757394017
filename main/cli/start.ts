// The CLI's entry as a function: `main/cli.ts` calls it from the sources, the launcher from the
// bundle (main/bin/enroller.cjs), which loads the bundle as one CommonJS script with V8's code cache.
// First: the X.509 library's dependency injection needs the Reflect polyfill before any of it loads.
import 'reflect-metadata';
import { runCli } from './program';

/** Runs one command line in this process. */
export async function startCli(args: readonly string[]): Promise<void> {
  // A reader that went away (`enroller … --json | head -1`) is not a fault of the station's: it stops
  // quietly, as Unix tools do (exit 141, as a shell reports a SIGPIPE). What it committed stays; a
  // rerun goes on from there, as after any stop.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(141);
  });
  await runCli(args);
}
