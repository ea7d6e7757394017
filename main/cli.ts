// `enroller …` from the TypeScript sources (tsx): the command line, run in this process (see
// cli/start.ts; the launcher main/bin/enroller.cjs runs the same entry from the bundle).
import { startCli } from './cli/start';

await startCli(process.argv.slice(2));
