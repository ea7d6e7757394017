// The real SCEP server: Debian's `scep` package (micromdm scepserver 2.1.0), started per test in a
// fresh depot. It listens on every interface and cannot be told otherwise, so it only runs when the
// suite is inside a private network namespace with nothing but loopback (`npm test` arranges it).
import { spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { x509 } from '../../main/pki/crypto';
import { tempDir } from '../helpers/station';

export interface ScepServer {
  readonly url: string;
  readonly depot: string;
  readonly caPem: string;
  /** What the server logged so far (stderr): the first thing to read when a request went wrong. */
  log(): string;
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
  const args = ['-allowrenew', '0', '-crtvalid', '365'];
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
  const caPem = fs.readFileSync(path.join(depot, 'ca.pem'), 'utf8');
  const caDer = new x509.X509Certificate(caPem).rawData;
  // A free port found a moment ago can be taken by another test's server before this one binds it:
  // then this one exits, and whoever holds the port must not be mistaken for it (its CA tells).
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await freePort());
    const started = await listen(['-depot', depot, '-port', String(port), ...args], port, caDer);
    if ('child' in started) return { url: started.url, depot, caPem, log: started.log, stop: started.stop };
    if (options.port || attempt === 5) throw new Error(`scepserver did not start: ${started.failed}`);
  }
}

type Listening =
  | { readonly child: ChildProcess; readonly url: string; log(): string; stop(): Promise<void> }
  | { readonly failed: string };

async function listen(args: string[], port: number, caDer: ArrayBuffer): Promise<Listening> {
  const child: ChildProcess = spawn('scepserver', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const url = `http://127.0.0.1:${port}/scep`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) return { failed: log };
    try {
      const response = await fetch(`${url}?operation=GetCACert`);
      if (response.ok && Buffer.from(await response.arrayBuffer()).equals(Buffer.from(caDer))) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      return { failed: `no answer from our CA on port ${port} within 10 s: ${log}` };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  return { child, url, log: () => log, stop };
}
