// Lint = the layer rules of DESIGN.md, enforced instead of hoped for, plus TypeScript hygiene
// and the size rules that keep files readable.
// Each layer may import only the layers listed above it:
//   shared → main/pki → main/store → main/devices → main/enroll → main/station → main/api →
//   entry points (main/cli*, main/browser, main/electron, main/index.ts, main/preload.ts)
// renderer/ imports shared/ and itself only. Only Electron entry files import `electron`;
// only the IPC binder (main/electron/ipc.ts) and the preload touch ipcMain / ipcRenderer.
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

const layers = ['pki', 'store', 'devices', 'enroll', 'station', 'api'];
const entryPoints = ['cli', 'browser', 'electron', 'index', 'preload', 'bin'];

/** A relative import that climbs out of the current folder into one of `names`. */
const climbsInto = (names) => `^(\\.\\./)+(${names.join('|')})(/|$)`;

const electronOnlyInEntries = {
  name: 'electron',
  message: 'Only the Electron entry files (main/index.ts, main/preload.ts, main/electron/) may import electron.',
};

function restrict(files, patterns, { allowElectron = false, extraPaths = [] } = {}) {
  return {
    files,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...(allowElectron ? [] : [electronOnlyInEntries]), ...extraPaths],
          patterns,
        },
      ],
    },
  };
}

const layerRule = (layer, index) => {
  const higher = [...layers.slice(index + 1), ...entryPoints];
  return restrict(
    [`main/${layer}/**/*.ts`],
    [
      {
        regex: climbsInto(higher),
        message: `main/${layer} is below ${higher.join(', ')} and must not import them (DESIGN.md layers).`,
      },
      { regex: climbsInto(['renderer']), message: 'main never imports the renderer.' },
    ],
  );
};

const nodeBuiltins = builtinModules
  .flatMap((m) => [m, `node:${m}`])
  .map((name) => ({
    name,
    message: 'The renderer has no Node: ask main through the contract (shared/contract).',
  }));

export default tseslint.config(
  { ignores: ['node_modules/**', 'out/**', 'dist/**', 'test-results/**', 'playwright-report/**'] },
  ...tseslint.configs.recommended,
  // The CLI launcher (main/bin/*.cjs) is CommonJS on purpose: it starts sooner (#18).
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': [
        'error',
        {
          selector: 'Identifier[name=/^ipc(Main|Renderer)$/]',
          message: 'Only the IPC binder (main/electron/ipc.ts) and main/preload.ts touch ipcMain/ipcRenderer.',
        },
        {
          selector: "MemberExpression[object.name='Math'][property.name='random']",
          message: 'Math.random() is not a CSPRNG; use node:crypto (and never near a certificate).',
        },
      ],
    },
  },
  // Everything not named below may not import electron.
  restrict(['**/*.ts', '**/*.tsx', '**/*.js', '**/*.mjs', '**/*.cjs'], []),
  restrict(
    ['shared/**/*.ts'],
    [{ regex: climbsInto(['main', 'renderer', 'test']), message: 'shared/ imports nothing of ours.' }],
  ),
  ...layers.map(layerRule),
  restrict(
    ['main/log.ts', 'main/worker-batches.ts'],
    [
      {
        regex: '^\\.',
        message: 'main/log.ts and main/worker-batches.ts sit below every layer and import none of them.',
      },
    ],
  ),
  restrict(
    ['main/browser/**/*.ts'],
    [
      {
        regex: climbsInto(['cli', 'electron', 'index', 'preload']),
        message: 'browser mode is an entry point of its own.',
      },
    ],
  ),
  restrict(
    ['main/cli/**/*.ts', 'main/cli.ts'],
    [{ regex: climbsInto(['electron', 'index', 'preload']), message: 'The CLI runs without Electron.' }],
  ),
  restrict(['main/index.ts', 'main/preload.ts', 'main/electron/**/*.ts'], [], { allowElectron: true }),
  restrict(
    ['renderer/**/*.ts', 'renderer/**/*.tsx'],
    [
      {
        regex: climbsInto(['main', 'test']),
        message: 'The renderer imports shared/ and its own files only; it talks to main through the contract.',
      },
    ],
    { extraPaths: nodeBuiltins },
  ),
  // Habits that keep it readable (#15): Prettier decides layout (checked in `npm test`), no line
  // over 120 characters, and no function in main/ or shared/ that needs a scroll bar. React
  // components (renderer/) and test bodies read top to bottom and are exempt from the length.
  { rules: { 'max-len': ['error', { code: 120, ignoreUrls: true }] } },
  {
    files: ['main/**/*.ts', 'shared/**/*.ts'],
    rules: { 'max-lines-per-function': ['error', { max: 60, skipBlankLines: true, skipComments: true, IIFEs: true }] },
  },
  {
    files: ['main/electron/ipc.ts', 'main/preload.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='Math'][property.name='random']",
          message: 'Math.random() is not a CSPRNG; use node:crypto.',
        },
      ],
    },
  },
);
