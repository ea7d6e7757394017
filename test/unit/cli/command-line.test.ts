// How a command line is read before anything runs: which command it names (so only that one is
// loaded, and the attach client knows whether to hand it to a running station), and which of its
// words are paths to make absolute when the station runs it in another folder.
import { describe, expect, it } from 'vitest';
import { absolutePaths } from '../../../main/cli/attach/path-arguments';
import { commandNamed, dataDirFlag } from '../../../main/cli/command-names';
import { buildProgram } from '../../../main/cli/program';

describe('commandNamed', () => {
  it('skips global options and their values', () => {
    expect(commandNamed(['--json', 'info'])).toBe('info');
    expect(commandNamed(['--data-dir', 'info', 'enroll'])).toBe('enroll');
    expect(commandNamed(['--log-level', 'debug', '--pin-file', 'p', 'queue', 'list'])).toBe('queue');
    expect(commandNamed(['--help'])).toBeUndefined();
    expect(commandNamed(['enrol'])).toBeUndefined();
    expect(dataDirFlag(['--data-dir=/x', 'info'])).toBe('/x');
    expect(dataDirFlag(['--json', '--data-dir', '/y', 'info'])).toBe('/y');
  });
});

describe('absolutePaths', () => {
  it('resolves the values of file, dir, path and pem options and arguments, and nothing else', async () => {
    const args = [
      '--pin-file',
      'pin',
      'enroll',
      '--csr',
      'a.der',
      'sub/b.der',
      '--profile',
      'local',
      '--out-dir=out',
      '--concurrency',
      '8',
    ];
    const program = await buildProgram(args);
    expect(absolutePaths(program, args, '/home/tech')).toEqual([
      '--pin-file',
      '/home/tech/pin',
      'enroll',
      '--csr',
      '/home/tech/a.der',
      '/home/tech/sub/b.der',
      '--profile',
      'local',
      '--out-dir=/home/tech/out',
      '--concurrency',
      '8',
    ]);
    const typeArgs = ['device-type', 'import', 'types/x.json', '-h'];
    const withArgument = await buildProgram(typeArgs);
    expect(absolutePaths(withArgument, typeArgs, '/w')).toEqual(['device-type', 'import', '/w/types/x.json', '-h']);
    const absolute = ['ca', 'export', '--out', '/tmp/chain.pem'];
    expect(absolutePaths(await buildProgram(absolute), absolute, '/w')).toEqual(absolute);
  });

  it('covers every option whose value names a file: each placeholder is one of the words it knows', async () => {
    const program = await buildProgram([]);
    const unknown: string[] = [];
    const walk = (command: typeof program) => {
      for (const option of command.options) {
        const placeholder = /[<[]([a-z-]+)(\.\.\.)?[>\]]/.exec(option.flags)?.[1];
        const looksLikePath =
          /(-file|-dir|-path)$|^--(csr|cert|chain|trust|client-cert|client-key|out|p12|dir|file)$/.test(
            option.long ?? '',
          );
        if (placeholder && looksLikePath && !['file', 'dir', 'path', 'pem'].includes(placeholder))
          unknown.push(`${command.name()} ${option.flags}`);
      }
      command.commands.forEach(walk);
    };
    walk(program);
    expect(unknown).toEqual([]);
  });
});
