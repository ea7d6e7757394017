// `enroller info` as a bundle of its own (main/bin/cli-build.cjs): the command that must answer as
// fast as Node starts (#18) loads the database and nothing else — a twentieth of the code the
// whole CLI's bundle reads, compiles and sets up (no station, CA, enrollers, drivers or logger).
import { asCliProcess } from './cli-process';
import { infoCommand } from './commands/info';
import { runProgramOf } from './program-runner';

/** Runs one `enroller … info …` command line in this process. */
export function startCli(args: readonly string[]): Promise<void> {
  return asCliProcess(() => runProgramOf({ info: async () => infoCommand() }, args));
}
