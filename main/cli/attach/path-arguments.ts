// An attached command runs in the station's process, whose working folder is not the person's.
// Every file and folder a command line names is made absolute against the person's folder
// first. Which words are paths is read from the program itself: options and arguments whose
// placeholder says file, dir, path or pem (`--out-dir <dir>`, `<file>`), so a new option that
// names its placeholder that way is covered without a list to keep.
import path from 'node:path';
import type { Argument, Command, Option } from 'commander';

const PATH_PLACEHOLDER = /[<[](file|dir|path|pem)(\.\.\.)?[>\]]/;

export function absolutePaths(program: Command, args: readonly string[], cwd: string): string[] {
  const out: string[] = [];
  let command = program;
  let positional = 0;
  for (let i = 0; i < args.length; i++) {
    const word = args[i]!;
    if (word === '--') return [...out, ...args.slice(i)];
    if (word.startsWith('--')) {
      const [flag, inline] = word.split(/=(.*)/s, 2) as [string, string | undefined];
      const option = findOption(command, flag);
      const isPath = option !== undefined && PATH_PLACEHOLDER.test(option.flags);
      if (inline !== undefined) {
        out.push(isPath ? `${flag}=${path.resolve(cwd, inline)}` : word);
        continue;
      }
      out.push(word);
      if (!option || (!option.required && !option.optional)) continue;
      // The value(s): one, or for a variadic option every word up to the next option.
      while (i + 1 < args.length && !args[i + 1]!.startsWith('-')) {
        const value = args[++i]!;
        out.push(isPath ? path.resolve(cwd, value) : value);
        if (!option.variadic) break;
      }
      continue;
    }
    if (word.startsWith('-')) {
      out.push(word); // a short flag (-h): never a path
      continue;
    }
    const sub = command.commands.find((c) => c.name() === word);
    if (sub && positional === 0) {
      command = sub;
      out.push(word);
      continue;
    }
    const argument = argumentAt(command, positional++);
    out.push(argument && PATH_PLACEHOLDER.test(`<${argument.name()}>`) ? path.resolve(cwd, word) : word);
  }
  return out;
}

/** The option a flag names on this command or one of its parents (global options). */
function findOption(command: Command, flag: string): Option | undefined {
  for (let c: Command | null = command; c; c = c.parent) {
    const option = c.options.find((o) => o.long === flag || o.short === flag);
    if (option) return option;
  }
  return undefined;
}

function argumentAt(command: Command, index: number): Argument | undefined {
  const registered = command.registeredArguments;
  const last = registered[registered.length - 1];
  return registered[index] ?? (last?.variadic ? last : undefined);
}
