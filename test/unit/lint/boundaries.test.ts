// Plants forbidden imports at pretend paths and asserts the linter reports each one, and that
// the allowed imports beside them stay clean. If a layer rule is deleted, this fails.
import path from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: path.resolve(import.meta.dirname, '../../..') });

async function problems(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((m) => `${m.ruleId}: ${m.message}`);
}

const forbidden: Array<[file: string, code: string, rule: string]> = [
  ['renderer/src/planted.ts', "import fs from 'node:fs'; export const x = fs;", 'no-restricted-imports'],
  ['renderer/src/planted.ts', "import fs from 'fs'; export const x = fs;", 'no-restricted-imports'],
  [
    'renderer/src/planted.tsx',
    "import { Station } from '../../main/station/station'; export const x = Station;",
    'no-restricted-imports',
  ],
  [
    'renderer/src/planted.ts',
    "import { ipcRenderer } from 'electron'; export const x = ipcRenderer;",
    'no-restricted-imports',
  ],
  [
    'shared/planted.ts',
    "import { Station } from '../main/station/station'; export const x = Station;",
    'no-restricted-imports',
  ],
  [
    'shared/contract/planted.ts',
    "import { x } from '../../renderer/src/App'; export const y = x;",
    'no-restricted-imports',
  ],
  [
    'main/pki/planted.ts',
    "import { openDatabase } from '../store/database'; export const x = openDatabase;",
    'no-restricted-imports',
  ],
  ['main/store/planted.ts', "import { x } from '../devices/nrf91'; export const y = x;", 'no-restricted-imports'],
  ['main/devices/planted.ts', "import { x } from '../enroll/est'; export const y = x;", 'no-restricted-imports'],
  [
    'main/enroll/est/planted.ts',
    "import { Station } from '../../station/station'; export const x = Station;",
    'no-restricted-imports',
  ],
  [
    'main/station/planted.ts',
    "import { createDispatch } from '../api/dispatch'; export const x = createDispatch;",
    'no-restricted-imports',
  ],
  [
    'main/api/planted.ts',
    "import { startBrowserServer } from '../browser/server'; export const x = startBrowserServer;",
    'no-restricted-imports',
  ],
  ['main/station/planted.ts', "import { app } from 'electron'; export const x = app;", 'no-restricted-imports'],
  ['main/api/planted.ts', "import { x } from '../../renderer/src/App'; export const y = x;", 'no-restricted-imports'],
  ['main/index.ts', 'declare const ipcMain: unknown; export const x = ipcMain;', 'no-restricted-syntax'],
  [
    'main/electron/window.ts',
    'declare const ipcRenderer: unknown; export const x = ipcRenderer;',
    'no-restricted-syntax',
  ],
  ['main/pki/planted.ts', 'export const serial = Math.random();', 'no-restricted-syntax'],
];

describe('layer boundaries are enforced by lint', () => {
  it.each(forbidden)('%s: reports %s', async (file, code, rule) => {
    const found = await problems(file, code);
    expect(
      found.some((p) => p.startsWith(`${rule}:`)),
      `expected ${rule} for ${file}, got ${JSON.stringify(found)}`,
    ).toBe(true);
  });

  const allowed: Array<[file: string, code: string]> = [
    ['renderer/src/planted.ts', "import { methods } from '../../shared/contract'; export const x = methods;"],
    ['main/station/planted.ts', "import { openDatabase } from '../store/database'; export const x = openDatabase;"],
    ['main/api/planted.ts', "import { Station } from '../station/station'; export const x = Station;"],
    ['main/electron/planted.ts', "import { app } from 'electron'; export const x = app;"],
    ['main/electron/ipc.ts', "import { ipcMain } from 'electron'; export const x = ipcMain;"],
    ['main/preload.ts', "import { ipcRenderer } from 'electron'; export const x = ipcRenderer;"],
    ['main/pki/planted.ts', "import { EnrollerError } from '../../shared/errors'; export const x = EnrollerError;"],
  ];
  it.each(allowed)('%s: allows a permitted import', async (file, code) => {
    expect(await problems(file, code)).toEqual([]);
  });
});
