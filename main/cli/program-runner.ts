// How a command line runs, whatever commands the program holds: the global options, the named
// command loaded alone (or every command, for help), and failures turned into output. program.ts
// holds every command; start-info.ts only `info`, so its bundle starts without the rest (#18).
import { Command, CommanderError, Option } from 'commander';
import { absolutePaths } from './attach/path-arguments';
import { COMMAND_NAMES, commandNamed, type CommandName } from './command-names';
import { appVersion } from './context';
import { invocation } from './invocation';
import { createOutput, describeError } from './output';

/** How to load a top-level command: its module is imported only when the command runs. */
export type CommandLoader = () => Promise<Command>;

/** The commands a program holds, by name. */
export type CommandLoaders = Partial<Readonly<Record<CommandName, CommandLoader>>>;

/** The program with the named command only, or with all it holds when none is named. */
export async function buildProgramOf(commands: CommandLoaders, args: readonly string[]): Promise<Command> {
  const program = new Command()
    .name('enroller')
    .description('Floor Enroller: enroll devices with device-born keys and verified certificates.')
    .version(appVersion)
    .option('--data-dir <dir>', 'station data folder (default: $ENROLLER_DATA_DIR, else the OS app-data folder)')
    .option('--json', 'one JSON object per line on stdout', false)
    .option('--pin-file <file>', 'your PIN, once the station has a supervisor (never on the command line)')
    .option('--no-attach', 'run here even when a station is running on the data folder')
    .addOption(
      new Option('--log-level <level>', 'log level on stderr')
        .choices(['silent', 'error', 'warn', 'info', 'debug'])
        .default('warn'),
    )
    .showHelpAfterError();
  const named = commandNamed(args);
  const loaders = (named ? [named] : COMMAND_NAMES).flatMap((name) => commands[name] ?? []);
  for (const command of await Promise.all(loaders.map((load) => load()))) program.addCommand(command);
  return program;
}

/**
 * Parses and runs one command line (the words after `enroller`); failures become output. `cwd`:
 * the person's folder, when the command runs in another process (attached), for relative paths.
 */
export async function runProgramOf(
  commands: CommandLoaders,
  args: readonly string[],
  options: { cwd?: string } = {},
): Promise<void> {
  try {
    const program = await buildProgramOf(commands, args);
    speakThroughInvocation(program);
    const words = options.cwd ? absolutePaths(program, args, options.cwd) : [...args];
    await program.parseAsync(words, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return void invocation().setExitCode(error.exitCode);
    const { code, message, details } = describeError(error);
    createOutput(args.includes('--json')).fail(code, message, details);
    invocation().setExitCode(1);
  }
}

/**
 * Help, version and usage errors go to the invocation and end it, not the process: the same
 * program runs inside a station serving several attached commands. (addCommand does not pass
 * these settings down, so each command gets them.)
 */
function speakThroughInvocation(command: Command): void {
  command.exitOverride().configureOutput({
    writeOut: (text) => invocation().stdout.write(text),
    writeErr: (text) => invocation().stderr.write(text),
  });
  for (const sub of command.commands) speakThroughInvocation(sub);
}
