// OpenSSL 3.0's own mock CMP server (`openssl cmp -port …`, PEERS.md §2) for the CMP tests (#24).
// It signs nothing: every enrollment is answered with the certificate it was started with, so a
// test issues that certificate for the CSR's key first (`issueFor`). It listens on every interface,
// so it runs only inside the tests' private network namespace. A test PKI made with the openssl CLI:
// a CA, the server's signing certificate and a client certificate for the station, all EC P-256.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './scep-server';

export const CMP_SECRET = 'cmp shared secret 42';

export interface CmpTestPki {
  readonly dir: string;
  readonly caFile: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
  /** A certificate from the test CA for the CSR's key (what the mock returns). */
  issueFor(csrPem: string, name: string): string;
}

export function cmpTestPki(): CmpTestPki {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'enroller-cmp-pki-'));
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const x509Req = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  ssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=CMP Test CA');
  fs.writeFileSync(path.join(dir, 'leaf.ext'), 'subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n');
  const issue = (name: string) =>
    x509Req(
      [
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        'ca.pem',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-days',
        '1',
      ].concat(['-extfile', 'leaf.ext', '-out', `${name}.pem`]),
    );
  const leaf = (name: string, subject: string) => {
    ssl('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
    issue(name);
  };
  leaf('server', '/CN=CMP Test Server');
  leaf('client', '/CN=Line Station 7');
  return {
    dir,
    caFile: path.join(dir, 'ca.pem'),
    serverCert: path.join(dir, 'server.pem'),
    serverKey: path.join(dir, 'server.key'),
    clientCert: path.join(dir, 'client.pem'),
    clientKey: path.join(dir, 'client.key'),
    issueFor(csrPem, name) {
      fs.writeFileSync(path.join(dir, `${name}.csr`), csrPem);
      issue(name);
      return path.join(dir, `${name}.pem`);
    },
  };
}

export interface CmpServerOptions {
  /** The certificate every enrollment is answered with. */
  readonly rspCert: string;
  /** MAC protection with this secret (default), or signatures with the test PKI's server certificate. */
  readonly protection: 'secret' | 'signature';
  /** How many times a client must poll before it gets the certificate, and the checkAfter it is told. */
  readonly pollCount?: number;
  readonly checkAfter?: number;
  /** Answer with this PKIStatus and these PKIFailureInfo bits (a number: bit n is 2^n). */
  readonly pkiStatus?: number;
  readonly failureBits?: number;
  readonly statusString?: string;
  /** Grant implicit confirmation (no certConf then). */
  readonly grantImplicitConfirm?: boolean;
}

export interface CmpServer {
  readonly url: string;
  /** The mock's own log: which requests it got (P10CR, CERTCONF, POLLREQ …). */
  log(): string;
  close(): Promise<void>;
}

export async function startCmpServer(pki: CmpTestPki, options: CmpServerOptions): Promise<CmpServer> {
  if (!process.env.ENROLLER_TEST_NETNS)
    throw new Error('The openssl cmp mock listens on every interface: run the CMP tests through `npm test` (netns).');
  const port = await freePort();
  const protection =
    options.protection === 'secret'
      ? ['-srv_ref', 'mock-ref', '-srv_secret', `pass:${CMP_SECRET}`]
      : ['-srv_cert', pki.serverCert, '-srv_key', pki.serverKey];
  const args = ['cmp', '-config', '/dev/null', '-port', String(port), ...protection, '-rsp_cert', options.rspCert]
    .concat(['-rsp_extracerts', pki.caFile, '-srv_trusted', pki.caFile])
    .concat(options.pollCount ? ['-poll_count', String(options.pollCount)] : [])
    .concat(options.checkAfter !== undefined ? ['-check_after', String(options.checkAfter)] : [])
    .concat(options.pkiStatus !== undefined ? ['-pkistatus', String(options.pkiStatus)] : [])
    .concat(options.failureBits !== undefined ? ['-failurebits', String(options.failureBits)] : [])
    .concat(options.statusString ? ['-statusstring', options.statusString] : [])
    .concat(options.grantImplicitConfirm ? ['-grant_implicitconf'] : []);
  const child = spawn('openssl', args, { cwd: pki.dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  await listening(port, child, () => log);
  return {
    url: `http://127.0.0.1:${port}/pkix/`,
    log: () => log,
    close: () => stop(child),
  };
}

async function listening(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`openssl cmp exited: ${log()}`);
    const up = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => (socket.end(), resolve(true)));
      socket.on('error', () => resolve(false));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`openssl cmp did not listen on ${port}: ${log()}`);
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
