// The independent tool: OpenSSL on the command line, with argument arrays (never a shell).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { tempDir } from './station';

const run = promisify(execFile);

export async function openssl(args: string[], cwd?: string): Promise<{ stdout: string; stderr: string }> {
  return run('openssl', args, { cwd, maxBuffer: 16 * 1024 * 1024 });
}

/** A CSR made by OpenSSL from a key it generates with `genArgs` (genpkey/ecparam arguments). */
export async function opensslCsr(options: {
  key: string[];
  subject?: string;
  extensions?: string[];
  digest?: string;
  keyCommand?: 'genpkey' | 'ecparam' | 'dsa';
}): Promise<Uint8Array> {
  const dir = tempDir('enroller-openssl-');
  const key = path.join(dir, 'key.pem');
  if (options.keyCommand === 'dsa') {
    const params = path.join(dir, 'params.pem');
    await openssl(['genpkey', '-genparam', '-algorithm', 'DSA', ...options.key, '-out', params]);
    await openssl(['genpkey', '-paramfile', params, '-out', key]);
  } else if (options.keyCommand === 'ecparam')
    await openssl(['ecparam', ...options.key, '-genkey', '-noout', '-out', key]);
  else await openssl(['genpkey', ...options.key, '-out', key]);
  const csr = path.join(dir, 'req.der');
  await openssl([
    'req',
    '-new',
    '-key',
    key,
    '-subj',
    options.subject ?? '/CN=device-1',
    '-outform',
    'DER',
    '-out',
    csr,
    ...(options.digest ? [`-${options.digest}`] : []),
    ...(options.extensions ?? []).flatMap((e) => ['-addext', e]),
  ]);
  return new Uint8Array(fs.readFileSync(csr));
}
