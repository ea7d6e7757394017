// The command-line program: `enroller [--data-dir DIR] <command>`. Names, flags and JSON fields are
// a contract (DESIGN.md); extend, never rename. Each command's module is loaded only when that
// command runs (start-up time, #18): `enroller info` never loads the CA, the enrollers or the
// device drivers; help loads them all. A running station runs attached commands through runCli too.
import type { Command } from 'commander';
import type { CommandName } from './command-names';
import { buildProgramOf, runProgramOf, type CommandLoader } from './program-runner';

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
export function buildProgram(args: readonly string[]): Promise<Command> {
  return buildProgramOf(COMMANDS, args);
}

/**
 * Parses and runs one command line (the words after `enroller`); failures become output. `cwd`:
 * the person's folder, when the command runs in another process (attached), for relative paths.
 */
export function runCli(args: readonly string[], options: { cwd?: string } = {}): Promise<void> {
  return runProgramOf(COMMANDS, args, options);
}
