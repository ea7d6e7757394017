// What a CLI process sets up before its command line runs, whichever bundle it started from
// (start.ts: every command; start-info.ts: `info` alone).

/** Runs `run`, the process's one command line. */
export async function asCliProcess(run: () => Promise<void>): Promise<void> {
  // A reader that went away (`enroller … --json | head -1`) is not a fault of the station's: it stops
  // quietly, as Unix tools do (exit 141, as a shell reports a SIGPIPE). What it committed stays; a
  // rerun goes on from there, as after any stop.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(141);
  });
  await run();
}
