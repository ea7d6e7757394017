// The command-line program: `enroller [--data-dir DIR] <command>`. Names, flags and JSON fields are
// a contract (DESIGN.md); extend, never rename. Each command's module is loaded only when that
// command runs (start-up time, #18): `enroller info` never loads the CA, the enrollers or the
// device drivers; help loads them all. A running station runs attached commands through runCli too.
import { Command, CommanderError, Option } from 'commander';
import { absolutePaths } from './attach/path-arguments';
import { COMMAND_NAMES, commandNamed, type CommandName } from './command-names';
import { appVersion } from './context';
import { invocation } from './invocation';
import { createOutput, describeError } from './output';

type CommandLoader = () => Promise<Command>;

/** How to load each top-level command (command-names.ts has the names and their order). */
const COMMANDS: Readonly<Record<CommandName, CommandLoader>> = {
  info: async () => (await import('./commands/info')).infoCommand(),
  ca: async () => (await import('./commands/ca')).caCommand(),
  'device-type': async () => (await import('./commands/device-type')).deviceTypeCommand(),
  profile: async () => (await import('./commands/profile')).profileCommand(),
  provision: async () => (await import('./commands/provision')).provisionCommand(),
  enroll: async () => (await import('./commands/enroll')).enrollCommand(),
  queue: async () => (await import('./commands/queue')).queueCommand(),
  audit: async () => (await import('./commands/audit')).auditCommand(),
  operator: async () => (await import('./commands/operator')).operatorCommand(),
  export: async () => (await import('./commands/export')).exportCommand(),
  approvals: async () => (await import('./commands/approvals')).approvalsCommand(),
  bundle: async () => (await import('./commands/bundle')).bundleCommand(),
  device: async () => (await import('./commands/device')).deviceCommand(),
  revoke: async () => (await import('./commands/revoke')).revokeCommand(),
  ocsp: async () => (await import('./commands/ocsp')).ocspCommand(),
  preflight: async () => (await import('./commands/preflight')).preflightCommand(),
  backup: async () => (await import('./commands/backup')).backupCommand(),
  restore: async () => (await import('./commands/backup')).restoreCommand(),
  doctor: async () => (await import('./commands/backup')).doctorCommand(),
  serve: async () => (await import('./commands/serve')).serveCommand(runCli),
  fleet: async () => (await import('./commands/fleet')).fleetCommand(),
  sim: async () => (await import('./commands/sim')).simCommand(),
};

/** The program with the named command only, or with all of them when none is named. */
export async function buildProgram(args: readonly string[]): Promise<Command> {
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
  const loaders = named ? [COMMANDS[named]] : COMMAND_NAMES.map((name) => COMMANDS[name]);
  for (const command of await Promise.all(loaders.map((load) => load()))) program.addCommand(command);
  return program;
}

/**
 * Parses and runs one command line (the words after `enroller`); failures become output. `cwd`:
 * the person's folder, when the command runs in another process (attached), for relative paths.
 */
export async function runCli(args: readonly string[], options: { cwd?: string } = {}): Promise<void> {
  try {
    const program = await buildProgram(args);
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
