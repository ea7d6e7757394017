// The README's own quick start, run as written from this checkout (in CI: a fresh clone after
// `npm ci`): `npx enroller info` and `npm start` reaching its URL in browser mode. The commands are
// read out of README.md, so the README cannot drift from what is tested.
import { spawn, execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli';
import { tempDir } from '../helpers/station';

const readme = fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8');

/** The shell block right under a README heading. */
function blockUnder(heading: string): string {
  const match = new RegExp(`## ${heading}\\n[\\s\\S]*?\`\`\`sh\\n([\\s\\S]*?)\`\`\``).exec(readme);
  if (!match) throw new Error(`README.md has no sh block under "## ${heading}"`);
  return match[1]!.trim();
}

/** The README's steps as a plain environment would run them: no inherited npm state. */
function cleanEnv(dataDir: string): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
  return { ...env, ENROLLER_DATA_DIR: dataDir };
}

describe('README quick start, from this checkout', () => {
  it('`npx enroller info` runs as the README says (no install-script refusal)', async () => {
    expect(readme).toContain('`npx enroller …` runs from a checkout after `npm install`');
    const dataDir = tempDir();
    const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        'npx',
        ['enroller', '--json', 'info'],
        { cwd: repoRoot, env: cleanEnv(dataDir), timeout: 60_000 },
        (error, out, err) =>
          resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout: out, stderr: err }),
      );
    });
    expect(stderr).not.toContain('ESTRICTALLOWSCRIPTS');
    expect(code, stderr).toBe(0);
    const info = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
    expect(info.dataDir).toBe(dataDir);
    expect(info.schemaVersion).toEqual(expect.any(Number));
  });

  it('`npm start` prints a browser-mode URL that serves the station', async () => {
    const steps = blockUnder('Start the station')
      .split('&&')
      .map((s) => s.trim());
    expect(steps).toEqual(['npm install', 'npm start']); // `npm install` is what CI's `npm ci` did
    const dataDir = tempDir();
    // Its own process group, so the whole tree (npm → start → serve) is stopped at the end.
    const child = spawn('npm', ['start', '--', '--simulate=1'], {
      cwd: repoRoot,
      env: cleanEnv(dataDir),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`npm start printed no URL in 60 s: ${stderr}`)), 60_000);
        child.once('exit', (code) => reject(new Error(`npm start exited with ${code}: ${stderr}`)));
        readline.createInterface({ input: child.stdout }).on('line', (line) => {
          if (/^http:\/\/127\.0\.0\.1:\d+\/#token=/.test(line)) {
            clearTimeout(timer);
            resolve(line);
          }
        });
      });
      const page = await fetch(new URL(url).origin + '/');
      expect(page.status).toBe(200);
      expect(await page.text()).toMatch(/<div id="root">/);
    } finally {
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        // already gone
      }
    }
  });
});
