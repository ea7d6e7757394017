// An issuing CA under a root kept offline (#20), with `openssl ca` as that root: the station makes
// the issuing key (a file key, or in a SoftHSM2 token) and its CSR, OpenSSL signs it, and
// `ca install` takes it only after its checks — a certificate for another key, one that is not a
// CA, and a chain that does not verify are each refused with a sentence. Then what the station
// issues verifies with OpenSSL against the offline root alone.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { enrollOnStationCa, runEnroller } from '../../helpers/cli';
import { makeCsr } from '../../helpers/csr';
import { openssl } from '../../helpers/openssl';
import { privateKeysListed, softhsmToken } from '../../helpers/softhsm';
import { tempDir } from '../../helpers/station';

/** A root CA in a folder, run by `openssl ca` (its database, serial file and extension sections). */
async function offlineRoot(name: string) {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'index.txt'), '');
  fs.writeFileSync(path.join(dir, 'serial'), '1000\n');
  fs.writeFileSync(
    path.join(dir, 'ca.cnf'),
    [
      '[ca]',
      'default_ca = root',
      '[root]',
      `dir = ${dir}`,
      'database = $dir/index.txt',
      'serial = $dir/serial',
      'new_certs_dir = $dir',
      'certificate = $dir/root.pem',
      'private_key = $dir/root.key',
      'default_md = sha256',
      'default_days = 3650',
      'policy = anything',
      'copy_extensions = none',
      'unique_subject = no',
      '[anything]',
      'commonName = supplied',
      'organizationName = optional',
      '[issuing_ca]',
      'basicConstraints = critical, CA:TRUE, pathlen:0',
      'keyUsage = critical, keyCertSign, cRLSign',
      'subjectKeyIdentifier = hash',
      'authorityKeyIdentifier = keyid',
      '[not_a_ca]',
      'basicConstraints = critical, CA:FALSE',
      '[req]',
      'distinguished_name = dn',
      '[dn]',
      '[root_ca]',
      'basicConstraints = critical, CA:TRUE',
      'keyUsage = critical, keyCertSign, cRLSign',
      'subjectKeyIdentifier = hash',
    ].join('\n'),
  );
  await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', path.join(dir, 'root.key')]);
  await openssl([
    'req',
    '-new',
    '-x509',
    '-key',
    path.join(dir, 'root.key'),
    '-subj',
    `/CN=${name}/O=Offline`,
    '-days',
    '7300',
    '-config',
    path.join(dir, 'ca.cnf'),
    '-extensions',
    'root_ca',
    '-out',
    path.join(dir, 'root.pem'),
  ]);
  const sign = async (csr: string, extensions = 'issuing_ca') => {
    const out = path.join(dir, `signed-${path.basename(csr)}-${extensions}.pem`);
    await openssl([
      'ca',
      '-batch',
      '-config',
      path.join(dir, 'ca.cnf'),
      '-extensions',
      extensions,
      '-in',
      csr,
      '-out',
      out,
    ]);
    return out;
  };
  return { dir, root: path.join(dir, 'root.pem'), sign };
}

async function issuesUnder(station: string, rootPem: string, pass: string) {
  const work = tempDir();
  fs.writeFileSync(path.join(work, 'dev.der'), await makeCsr({ name: 'CN=under-offline-root' }));
  const out = path.join(work, 'out');
  const enrolled = await enrollOnStationCa(station, work, out, pass);
  expect(enrolled.lines[0]).toMatchObject({ status: 'issued' });
  const chain = path.join(work, 'chain.pem');
  await runEnroller(station, 'ca', 'export', '--out', chain);
  const { stdout } = await openssl([
    'verify',
    '-CAfile',
    rootPem,
    '-untrusted',
    chain,
    path.join(out, 'under-offline-root.pem'),
  ]);
  expect(stdout).toContain(': OK');
}

describe('an issuing CA under an offline root', () => {
  it('with a file key: refuses what does not fit, installs what does, then issues under it', async () => {
    const root = await offlineRoot('Offline Root');
    const station = tempDir();
    const pass = path.join(tempDir(), 'pass');
    fs.writeFileSync(pass, 'offline root passphrase');
    const csr = path.join(tempDir(), 'issuing.csr');
    const requested = await runEnroller(
      station,
      'ca',
      'csr',
      '--out',
      csr,
      '--subject',
      'CN=Line 3 Issuing CA,O=Acme',
      '--passphrase-file',
      pass,
    );
    expect(requested.lines[0]).toMatchObject({ status: 'requested', key: 'file' });

    const install = (cert: string, chain = root.root) =>
      runEnroller(station, 'ca', 'install', '--cert', cert, '--chain', chain);
    // Signed, but not as a CA.
    expect((await install(await root.sign(csr, 'not_a_ca'))).lines[0]).toMatchObject({
      code: 'CA_IMPORT_INVALID',
      message: expect.stringContaining('not a CA certificate'),
    });
    // A CA certificate for a key this station did not make.
    const otherKey = path.join(tempDir(), 'other.key');
    const otherCsr = path.join(tempDir(), 'other.csr');
    await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', otherKey]);
    await openssl(['req', '-new', '-key', otherKey, '-subj', '/CN=Someone Else', '-out', otherCsr]);
    expect((await install(await root.sign(otherCsr))).lines[0]).toMatchObject({
      code: 'CA_IMPORT_INVALID',
      message: expect.stringContaining('not for a key this station made'),
    });
    // The right certificate with another root's chain.
    const signed = await root.sign(csr);
    const stranger = await offlineRoot('Offline Root');
    expect((await install(signed, stranger.root)).lines[0]).toMatchObject({
      code: 'CA_IMPORT_INVALID',
      message: expect.stringContaining('does not verify'),
    });

    const installed = await install(signed);
    expect(installed.lines[0]).toMatchObject({
      status: 'installed',
      issuing: { subject: 'CN=Line 3 Issuing CA, O=Acme' },
      key: { location: 'file' },
    });
    expect((await install(signed)).lines[0]).toMatchObject({ code: 'CA_IMPORT_INVALID' }); // installed once
    await issuesUnder(station, root.root, pass);
  });

  it('with the key in a PKCS#11 token', async () => {
    const token = softhsmToken('line-3-ca', '246810');
    const root = await offlineRoot('Offline Token Root');
    const station = tempDir();
    const csr = path.join(tempDir(), 'issuing.csr');
    const requested = await runEnroller(
      station,
      'ca',
      'csr',
      '--out',
      csr,
      '--pkcs11',
      `${token.uri}`,
      '--token-pin-file',
      token.pinFile,
    );
    expect(requested.lines[0]).toMatchObject({ status: 'requested', key: 'pkcs11' });
    expect(privateKeysListed('line-3-ca', '246810')).toMatch(/floor-enroller-ca-issuing-\d+[\s\S]*never extractable/);
    const installed = await runEnroller(station, 'ca', 'install', '--cert', await root.sign(csr), '--chain', root.root);
    expect(installed.lines[0]).toMatchObject({ status: 'installed', key: { location: 'pkcs11', token: 'line-3-ca' } });
    await issuesUnder(station, root.root, token.pinFile);
    // The key ceremony: the key made in the token, then its certificate installed.
    const status = (await runEnroller(station, 'ca', 'status')).lines[0]!;
    const ceremonies = status.ceremonies as Array<{ action: string; details: Record<string, unknown> }>;
    expect(ceremonies.map((c) => c.action)).toEqual(['ca.key-made', 'ca.installed']);
    expect(ceremonies[0]!.details).toMatchObject({
      token: 'line-3-ca',
      keyFingerprint: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });
});
