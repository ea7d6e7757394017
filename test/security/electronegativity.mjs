// Static security scan of the Electron code (main, preload, renderer) with Doyensec's
// electronegativity. Its CLI breaks with the commander this project uses (it never declared its
// own), so this calls its runner directly. Writes its report under test-results/ and exits 1 on
// any finding or any file it could not parse.
import fs from 'node:fs';
import os from 'node:os';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const root = path.resolve(import.meta.dirname, '../..');
const runner = require('@doyensec/electronegativity/dist/runner.js');
const run = runner.default ?? runner;
const electron = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).devDependencies.electron;
fs.mkdirSync(path.join(root, 'test-results'), { recursive: true });

// One scan over main/ and renderer/ together, so the global checks (CSP, navigation limits,
// permission handler) see the window code and the page it loads side by side.
const staging = fs.mkdtempSync(path.join(os.tmpdir(), 'electronegativity-'));
for (const dir of ['main', 'renderer']) fs.cpSync(path.join(root, dir), path.join(staging, dir), { recursive: true });
fs.copyFileSync(path.join(root, 'package.json'), path.join(staging, 'package.json'));
const result = await run(
  {
    input: staging,
    output: undefined,
    isSarif: false,
    customScan: [],
    excludeFromScan: [],
    severitySet: undefined,
    confidenceSet: undefined,
    isRelative: true,
    isVerbose: false,
    electronUpgrade: undefined,
    electronVersionOverride: electron,
    parserPlugins: [],
  },
  false,
);
fs.rmSync(staging, { recursive: true, force: true });
fs.writeFileSync(
  path.join(root, 'test-results', 'electronegativity.json'),
  JSON.stringify(
    {
      checks: { atomic: result.atomicChecks, global: result.globalChecks },
      errors: result.errors,
      issues: result.issues,
    },
    null,
    2,
  ),
);
for (const issue of result.issues)
  console.log(`${issue.id}  ${issue.file}:${issue.location?.line ?? ''}  ${issue.description ?? ''}`);
const parseErrors = result.errors.filter((e) => !e.tolerable);
for (const error of parseErrors) console.log(`parse error  ${error.file}: ${error.message}`);
console.log(`main + renderer: ${result.atomicChecks} atomic + ${result.globalChecks} global checks`);
const findings = result.issues.length + parseErrors.length;
// Reviewed exceptions are annotated where they stand (`eng-disable`, with the reason beside it).
const annotated = ['main', 'renderer']
  .flatMap((dir) =>
    fs.readdirSync(path.join(root, dir), { recursive: true }).map((f) => path.join(root, dir, String(f))),
  )
  .filter((f) => /\.(ts|tsx|html)$/.test(f) && fs.statSync(f).isFile())
  .flatMap((f) =>
    (fs.readFileSync(f, 'utf8').match(/eng-disable \w+/g) ?? []).map((m) => `${path.relative(root, f)}: ${m}`),
  );
console.log(
  `electronegativity: ${findings} finding(s); ${annotated.length} reviewed exception(s): ` +
    `${annotated.join('; ') || 'none'}`,
);
process.exit(findings === 0 ? 0 : 1);
