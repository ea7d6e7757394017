// The habits that keep the code readable are enforced, not hoped for (#15): each rule is shown
// catching what it forbids — a long line, a function that needs a scroll bar, an import cycle —
// and leaving alone what it allows. If a rule is dropped from the config, this fails.
import fs from 'node:fs';
import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain .mjs script without types; its one export is called as documented.
import { findImportCycles } from '../../lint/import-cycles.mjs';
import { repoRoot } from '../../helpers/cli';
import { tempDir } from '../../helpers/station';

const eslint = new ESLint({ cwd: repoRoot });

async function rules(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((m) => m.ruleId ?? m.message);
}

const functionOf = (lines: number) =>
  `export function planted(): number {\n  let n = 0;\n${'  n += 1;\n'.repeat(lines - 3)}  return n;\n}\n`;

describe('readability rules', () => {
  it('no line over 120 characters, anywhere', async () => {
    const long = `export const sentence = '${'x'.repeat(110)}';\n`;
    expect(await rules('main/station/planted.ts', long)).toContain('max-len');
    expect(await rules('test/unit/planted.test.ts', long)).toContain('max-len');
    expect(await rules('main/station/planted.ts', `export const sentence = '${'x'.repeat(90)}';\n`)).toEqual([]);
  });

  it('no function over 60 lines in main/ or shared/; React components and tests read top to bottom', async () => {
    expect(await rules('main/station/planted.ts', functionOf(62))).toContain('max-lines-per-function');
    expect(await rules('shared/planted.ts', functionOf(62))).toContain('max-lines-per-function');
    expect(await rules('main/station/planted.ts', functionOf(58))).toEqual([]);
    expect(await rules('renderer/src/Planted.tsx', functionOf(80))).not.toContain('max-lines-per-function');
  });

  it('finds an import cycle, type-only imports included, and names the files around it', () => {
    const root = tempDir('enroller-cycles-');
    const write = (file: string, text: string) => {
      fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
      fs.writeFileSync(path.join(root, file), text);
    };
    write('main/a.ts', "import { b } from './b';\nexport const a = b;\n");
    write('main/b.ts', "import type { C } from './c/index';\nexport const b = 1 as unknown as C;\n");
    write('main/c/index.ts', "import { a } from '../a';\nexport type C = typeof a;\n");
    write('main/d.ts', "import { a } from './a';\nimport fs from 'node:fs';\nexport const d = [a, fs];\n");
    const cycles = findImportCycles(['main'], root) as string[][];
    expect(cycles).toEqual([['main/a.ts', 'main/b.ts', 'main/c/index.ts', 'main/a.ts']]);
    write('main/c/index.ts', 'export type C = number;\n');
    expect(findImportCycles(['main'], root)).toEqual([]);
  });

  it('this tree has no import cycle', () => {
    expect(findImportCycles(['main', 'shared', 'renderer'], repoRoot)).toEqual([]);
  });
});
