// The real SCEP server: Debian's `scep` package (micromdm scepserver 2.1.0), started per test in a
// fresh depot. It listens on every interface and cannot be told otherwise, so it only runs when the
// suite is inside a private network namespace with nothing but loopback (`npm test` arranges it).
import { spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { tempDir } from '../helpers/station';

export interface ScepServer {
  readonly url: string;
  readonly depot: string;
  readonly caPem: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function startScepServer(
  options: { challenge?: string; verifier?: 'approve' | 'reject'; verifierScript?: string; port?: number } = {},
): Promise<ScepServer> {
  if (!process.env.ENROLLER_TEST_NETNS) {
    throw new Error(
      'scepserver binds every interface: run the suite with `npm test` (as root it enters a private network namespace)',
    );
  }
  const dir = tempDir('enroller-scep-');
  const depot = path.join(dir, 'depot');
  execFileSync(
    'scepserver',
    ['ca', '-init', '-depot', depot, '-keySize', '2048', '-organization', 'Floor Test CA', '-country', 'DE'],
    { stdio: 'ignore' },
  );
  const port = options.port ?? (await freePort());
  const args = ['-depot', depot, '-port', String(port), '-allowrenew', '0', '-crtvalid', '365'];
  if (options.challenge) args.push('-challenge', options.challenge);
  if (options.verifierScript) {
    // A hook of the test's own (gets the DER CSR on stdin; exit 0 approves), run with the depot's folder as $1.
    const script = path.join(dir, 'verifier.sh');
    fs.writeFileSync(script, `#!/bin/sh\nset -- "${dir}"\n${options.verifierScript}\n`, { mode: 0o755 });
    args.push('-csrverifierexec', script);
  } else if (options.verifier) {
    const script = path.join(dir, 'verifier.sh');
    // The hook gets the DER CSR on stdin; its exit status is the operator's approval.
    fs.writeFileSync(script, `#!/bin/sh\ncat > "${dir}/last.csr"\nexit ${options.verifier === 'approve' ? 0 : 1}\n`, {
      mode: 0o755,
    });
    args.push('-csrverifierexec', script);
  }
  const child: ChildProcess = spawn('scepserver', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const url = `http://127.0.0.1:${port}/scep`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const response = await fetch(`${url}?operation=GetCACaps`);
      if (response.ok) break;
    } catch {
      // not up yet
    }
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`scepserver did not start: ${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    depot,
    caPem: fs.readFileSync(path.join(depot, 'ca.pem'), 'utf8'),
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
