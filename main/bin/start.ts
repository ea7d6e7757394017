// `npm start`: the Electron app when its binary is installed; otherwise one line saying so and
// browser mode instead, with the URL to open.
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { electronBinary } from './electron-binary';

const root = path.resolve(import.meta.dirname, '../..');
const exe = electronBinary();
const forward = process.argv.slice(2);
// The newcomer's default: four simulated nRF91 modems on the bench (`npm start -- --simulate=0` for none).
const simulateArg = forward.find((a) => a.startsWith('--simulate=')) ?? '--simulate=4';
const rest = forward.filter((a) => !a.startsWith('--simulate='));

if (exe) {
  const build = spawnSync(path.join(root, 'node_modules/.bin/electron-vite'), ['build'], {
    stdio: 'inherit',
    cwd: root,
  });
  if (build.status !== 0) process.exit(build.status ?? 1);
  spawn(exe, [path.join(root, 'out/main/index.js'), ...rest, simulateArg], { stdio: 'inherit' }).on('exit', (code) =>
    process.exit(code ?? 0),
  );
} else {
  console.log('No Electron binary is installed here, so the station starts in browser mode: open the link below.');
  spawn(
    process.execPath,
    [path.join(root, 'main/bin/enroller.cjs'), ...rest, 'serve', '--simulate', simulateArg.split('=')[1]!],
    { stdio: 'inherit' },
  ).on('exit', (code) => process.exit(code ?? 0));
}
