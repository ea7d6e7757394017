// `enroller …`: the command line, run in this process (see cli/program.ts for the commands).
import { runCli } from './cli/program';

await runCli(process.argv.slice(2));
