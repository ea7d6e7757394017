// `npm test`: typecheck, lint, build, unit + integration (Vitest), e2e (Playwright), then one
// plain summary line `N passed, N failed, N skipped` that CI reads.
// As root, the whole run moves into a private network namespace with only loopback up, so no
// test can reach anything but 127.0.0.1 (servers like scepserver cannot choose their address).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { installLine, missingTools } from './system-tools.mjs';

const root = path.resolve(import.meta.dirname, '..');
process.chdir(root);

const missing = missingTools();
if (missing.length > 0) {
  console.error(`Missing system tools the tests use for real: ${missing.map(([c]) => c).join(', ')}`);
  console.error(`Install them with:\n  ${installLine(missing)}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}

if (process.getuid?.() === 0 && !process.env.ENROLLER_TEST_NETNS) {
  const inner = spawnSync(
    'unshare',
    ['--net', 'sh', '-c', 'ip link set lo up && exec "$0" "$@"', process.execPath, ...process.argv.slice(1)],
    {
      stdio: 'inherit',
      env: { ...process.env, ENROLLER_TEST_NETNS: '1' },
    },
  );
  process.exit(inner.status ?? 1);
}

fs.rmSync('test-results', { recursive: true, force: true });
fs.mkdirSync('test-results', { recursive: true });
const totals = { passed: 0, failed: 0, skipped: 0 };
const bin = (name) => path.join(root, 'node_modules', '.bin', name);

function run(label, command, args, env = {}) {
  console.log(`\n── ${label} ──`);
  const result = spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  return result.status === 0;
}

/** A stage that is one check: it passes or it fails. */
function check(label, command, args) {
  if (run(label, command, args)) totals.passed += 1;
  else {
    totals.failed += 1;
    console.log(`✗ ${label} failed`);
  }
}

function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

check('typecheck (tsc -b)', bin('tsc'), ['-b']);
check('lint (eslint: layers, no line over 120, no function over 60 lines)', bin('eslint'), ['.']);
check('format (prettier --check)', bin('prettier'), ['--check', '.', '--log-level', 'warn']);
check('no import cycles (main, shared, renderer)', process.execPath, ['test/lint/import-cycles.mjs']);
check('Electron security scan (electronegativity: main + renderer, 0 findings)', process.execPath, [
  'test/security/electronegativity.mjs',
]);
check('build (electron-vite: main, preload, renderer)', bin('electron-vite'), ['build']);
check('build (CLI bundle: esbuild, CommonJS, code cache per command)', process.execPath, ['main/bin/cli-build.cjs']);
check('build (browser-mode renderer)', bin('vite'), [
  'build',
  '--config',
  'vite.renderer.config.ts',
  '--logLevel',
  'warn',
]);

const vitestJson = 'test-results/vitest.json';
const vitestOk = run('unit + integration (vitest)', bin('vitest'), [
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${vitestJson}`,
]);
const vitest = readJson(vitestJson);
if (vitest) {
  totals.passed += vitest.numPassedTests;
  totals.failed += vitest.numFailedTests;
  totals.skipped += vitest.numPendingTests + vitest.numTodoTests;
  // A suite that failed to load has no tests to count; it is still a failure.
  totals.failed += vitest.testResults.filter((f) => f.status === 'failed' && f.assertionResults.length === 0).length;
}
if (!vitestOk && (!vitest || vitest.numFailedTests === 0)) totals.failed += 1;

const playwrightJson = 'test-results/playwright.json';
const playwrightOk = run('e2e (playwright, Debian chromium)', bin('playwright'), ['test', '--reporter=list,json'], {
  PLAYWRIGHT_JSON_OUTPUT_NAME: playwrightJson,
});
const playwright = readJson(playwrightJson);
if (playwright) {
  totals.passed += playwright.stats.expected + playwright.stats.flaky;
  totals.failed += playwright.stats.unexpected;
  totals.skipped += playwright.stats.skipped;
}
if (!playwrightOk && (!playwright || playwright.stats.unexpected === 0)) totals.failed += 1;

console.log(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(totals.failed === 0 ? 0 : 1);
