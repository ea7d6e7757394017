// The top-level command names and how to find which one a command line names, without loading
// any command: the program (program.ts) and the attach client (attach/) both read a line this way.

/** Every top-level command, in the order help lists them. */
export const COMMAND_NAMES = [
  'info',
  'ca',
  'device-type',
  'profile',
  'provision',
  'enroll',
  'queue',
  'audit',
  'operator',
  'export',
  'approvals',
  'bundle',
  'device',
  'revoke',
  'ocsp',
  'preflight',
  'backup',
  'restore',
  'doctor',
  'serve',
  'fleet',
  'sim',
] as const;

export type CommandName = (typeof COMMAND_NAMES)[number];

/** Global options that take a value: the word after them is not the command's name. */
const VALUE_OPTIONS = new Set(['--data-dir', '--pin-file', '--log-level']);

/** The command the words name (`enroller --json info` → info), or undefined (help, a typo). */
export function commandNamed(args: readonly string[]): CommandName | undefined {
  for (let i = 0; i < args.length; i++) {
    const word = args[i]!;
    if (VALUE_OPTIONS.has(word)) i++;
    else if (!word.startsWith('-'))
      return (COMMAND_NAMES as readonly string[]).includes(word) ? (word as CommandName) : undefined;
  }
  return undefined;
}

/** `--data-dir DIR` or `--data-dir=DIR` from a command line. */
export function dataDirFlag(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const word = args[i]!;
    if (word === '--data-dir') return args[i + 1];
    if (word.startsWith('--data-dir=')) return word.slice('--data-dir='.length);
  }
  return undefined;
}
