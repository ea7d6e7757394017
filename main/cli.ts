// `enroller …`: the command line, run in this process (see cli/program.ts for the commands).
// First: the X.509 library's dependency injection needs the Reflect polyfill before any of it loads,
// and in the bundle a command's chunks may load it ahead of pki/crypto.ts.
import 'reflect-metadata';
import { runCli } from './cli/program';

// A reader that went away (`enroller … --json | head -1`) is not a fault of the station's: it stops
// quietly, as Unix tools do (exit 141, as a shell reports a SIGPIPE). What it committed stays; a
// rerun goes on from there, as after any stop.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(141);
});

await runCli(process.argv.slice(2));
