// `enroller …`: the command line, run in this process (see cli/program.ts for the commands).
// First: the X.509 library's dependency injection needs the Reflect polyfill before any of it loads,
// and in the bundle a command's chunks may load it ahead of pki/crypto.ts.
import 'reflect-metadata';
import { runCli } from './cli/program';

await runCli(process.argv.slice(2));
