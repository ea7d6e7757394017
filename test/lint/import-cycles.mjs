// No import cycles in the product (main/, shared/, renderer/): a cycle is two files that cannot be
// understood, tested or moved one without the other. TypeScript's own pre-processor reads each
// file's imports (type-only ones too: they tie the files together all the same); a depth-first
// walk reports every cycle it meets, as a path of files. `npm test` runs it; exit 1 on a cycle.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';

const SOURCE = /\.(ts|tsx|mts)$/;

function sourceFiles(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter(
      (entry) =>
        entry.isFile() &&
        SOURCE.test(entry.name) &&
        !entry.name.endsWith('.d.ts') &&
        !entry.parentPath.includes('node_modules'),
    )
    .map((entry) => path.join(entry.parentPath, entry.name));
}

/** The file a relative specifier names, as TypeScript would find it; undefined for packages. */
function resolve(from, specifier) {
  if (!specifier.startsWith('.')) return undefined;
  const base = path.resolve(path.dirname(from), specifier);
  const candidates = [
    base,
    ...['.ts', '.tsx', '.mts'].map((ext) => base + ext),
    ...['index.ts', 'index.tsx'].map((f) => path.join(base, f)),
  ];
  return candidates.find((file) => SOURCE.test(file) && fs.existsSync(file) && fs.statSync(file).isFile());
}

/** Every import cycle under `roots`, each as the list of files around it (relative to `cwd`). */
export function findImportCycles(roots, cwd = process.cwd()) {
  const files = roots.flatMap((root) => sourceFiles(path.resolve(cwd, root)));
  const edges = new Map(
    files.map((file) => {
      const { importedFiles } = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
      return [file, [...new Set(importedFiles.map((i) => resolve(file, i.fileName)).filter(Boolean))]];
    }),
  );
  const cycles = [];
  const state = new Map(); // file → 'open' while on the path, 'done' once every import was walked
  const stack = [];
  const visit = (file) => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of edges.get(file) ?? []) {
      if (state.get(next) === 'open')
        cycles.push([...stack.slice(stack.indexOf(next)), next].map((f) => path.relative(cwd, f)));
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of files) if (!state.has(file)) visit(file);
  return cycles;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const cycles = findImportCycles(['main', 'shared', 'renderer']);
  for (const cycle of cycles) console.error(`import cycle: ${cycle.join(' → ')}`);
  console.log(
    cycles.length === 0 ? 'No import cycles in main/, shared/, renderer/.' : `${cycles.length} import cycle(s).`,
  );
  process.exit(cycles.length === 0 ? 0 : 1);
}
