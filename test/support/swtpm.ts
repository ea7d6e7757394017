// A real TPM 2.0 for tests: swtpm on a Unix socket in a private folder (no network at all),
// optionally manufactured first by swtpm_setup with an EK certificate from a private local CA.
// tpm2-tools reach it with `swtpm:path=…` (the control socket must be `<socket>.ctrl`, PEERS.md).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from '../helpers/station';

export interface Swtpm {
  readonly tcti: string;
  readonly dir: string;
  /** With an EK certificate: the local CA's issuer certificate and root (PEM) that sign it. */
  readonly ekIssuerPem?: string;
  stop(): Promise<void>;
  /** Stops and starts the same TPM (state kept), as a power cycle would. */
  restart(): Promise<void>;
}

export async function startSwtpm(options: { ekCertificate?: boolean } = {}): Promise<Swtpm> {
  const dir = tempDir('enroller-swtpm-');
  const state = path.join(dir, 'state');
  fs.mkdirSync(state);
  let ekIssuerPem: string | undefined;
  if (options.ekCertificate) ekIssuerPem = manufacture(dir, state);
  const socket = path.join(dir, 'tpm.sock');
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn(
      'swtpm',
      [
        'socket',
        '--tpm2',
        '--tpmstate',
        `dir=${state}`,
        '--server',
        `type=unixio,path=${socket}`,
        '--ctrl',
        `type=unixio,path=${socket}.ctrl`,
        '--flags',
        'not-need-init,startup-clear',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let log = '';
    child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    const deadline = Date.now() + 10_000;
    while (!fs.existsSync(socket)) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`swtpm did not start: ${log}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const stop = async () => {
    const running = child;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((r) => running.once('exit', r));
    running.kill('SIGTERM');
    await exited;
    fs.rmSync(socket, { force: true });
    fs.rmSync(`${socket}.ctrl`, { force: true });
  };
  await start();
  return {
    tcti: `swtpm:path=${socket}`,
    dir,
    ...(ekIssuerPem ? { ekIssuerPem } : {}),
    stop,
    restart: async () => {
      await stop();
      await start();
    },
  };
}

/** swtpm_setup with private config files: an RSA EK, its certificate in NV 0x01c00002 (PEERS.md). */
function manufacture(dir: string, state: string): string {
  const ca = path.join(dir, 'localca');
  fs.mkdirSync(ca);
  const localca = execFileSync('sh', ['-c', 'command -v swtpm_localca'], { encoding: 'utf8' }).trim();
  fs.writeFileSync(
    path.join(dir, 'localca.conf'),
    `statedir=${ca}\nsigningkey=${ca}/signkey.pem\nissuercert=${ca}/issuercert.pem\ncertserial=${ca}/certserial\n`,
  );
  fs.writeFileSync(
    path.join(dir, 'localca.options'),
    '--platform-manufacturer FloorTest\n--platform-version 2.1\n--platform-model swtpm\n',
  );
  fs.writeFileSync(
    path.join(dir, 'swtpm_setup.conf'),
    [
      `create_certs_tool=${localca}`,
      `create_certs_tool_config=${dir}/localca.conf`,
      `create_certs_tool_options=${dir}/localca.options`,
      'active_pcr_banks=sha256',
      '',
    ].join('\n'),
  );
  execFileSync(
    'swtpm_setup',
    [
      '--tpm2',
      '--tpmstate',
      state,
      '--config',
      path.join(dir, 'swtpm_setup.conf'),
      '--create-ek-cert',
      '--create-platform-cert',
      '--overwrite',
      ...(process.getuid?.() === 0 ? ['--runas', 'root'] : []),
    ],
    { stdio: 'ignore' },
  );
  return ['issuercert.pem', 'swtpm-localca-rootca-cert.pem']
    .map((f) => fs.readFileSync(path.join(ca, f), 'utf8'))
    .join('\n');
}
