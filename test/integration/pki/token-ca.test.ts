// The CA keys in a PKCS#11 token (#20), on SoftHSM2: `ca init --pkcs11` makes them inside the token
// (pkcs11-tool shows them sensitive and never extractable), the data folder holds no private key
// bytes, certificates, CRLs and the OCSP signer are signed by the token and verify with OpenSSL, and
// a wrong PIN, a missing token, an unloadable module, a PIN in the URI and a full token each get their code.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { enrollerBin, enrollOnStationCa, runEnroller } from '../../helpers/cli';
import { makeCsr } from '../../helpers/csr';
import { openssl } from '../../helpers/openssl';
import { privateKeysListed, SOFTHSM_MODULE, softhsmToken } from '../../helpers/softhsm';
import { tempDir } from '../../helpers/station';

function run(command: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('CA keys in a PKCS#11 token', () => {
  it('are made in the token, never leave it, and sign what the station issues', async () => {
    const token = softhsmToken('floor-ca', '123456');
    const dir = tempDir();
    const work = tempDir();
    const init = await runEnroller(dir, 'ca', 'init', '--pkcs11', `${token.uri}`, '--token-pin-file', token.pinFile);
    expect(init.lines[0]).toMatchObject({
      status: 'initialized',
      key: { location: 'pkcs11', token: 'floor-ca', uri: `pkcs11:token=floor-ca?module-path=${SOFTHSM_MODULE}` },
    });
    const listed = privateKeysListed('floor-ca', '123456');
    expect(listed.match(/never extractable/g)).toHaveLength(2);
    expect(listed).toContain('floor-enroller-ca-issuing');
    for (const access of listed.split('\n').filter((l) => l.includes('Access:')))
      expect(access).toMatch(/Access:\s+sensitive, always sensitive, never extractable/);

    // Certificates from the token's key, with the token PIN where a passphrase would go.
    fs.writeFileSync(path.join(work, 'dev-1.der'), await makeCsr({ name: 'CN=dev-1' }));
    const out = path.join(work, 'out');
    const enrolled = await enrollOnStationCa(dir, work, out, token.pinFile);
    expect(enrolled.lines[0]).toMatchObject({ status: 'issued', deviceId: 'dev-1' });
    const chain = path.join(work, 'chain.pem');
    await runEnroller(dir, 'ca', 'export', '--out', chain);
    const [issuing, root] = fs
      .readFileSync(chain, 'utf8')
      .match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)!;
    fs.writeFileSync(path.join(work, 'issuing.pem'), issuing!);
    fs.writeFileSync(path.join(work, 'root.pem'), root!);
    const leaf = path.join(out, 'dev-1.pem');
    const verify = (...extra: string[]) =>
      openssl([
        'verify',
        '-CAfile',
        path.join(work, 'root.pem'),
        '-untrusted',
        path.join(work, 'issuing.pem'),
        ...extra,
        leaf,
      ]).then(
        (r) => r.stdout,
        (e: { stdout: string; stderr: string }) => e.stdout + e.stderr,
      );
    expect(await verify()).toContain(': OK');

    // A CRL signed in the token says the revoked leaf is revoked.
    const serial = enrolled.lines[0]!.certSerial as string;
    expect((await runEnroller(dir, 'revoke', '--serial', serial, '--reason', 'keyCompromise')).code).toBe(0);
    const crl = path.join(work, 'crl.pem');
    expect((await runEnroller(dir, 'ca', 'crl', '--pem', '--out', crl, '--passphrase-file', token.pinFile)).code).toBe(
      0,
    );
    expect(await verify('-crl_check', '-CRLfile', crl)).toContain('certificate revoked');

    // Proof of possession for a cloud's CA registration, signed by the root key in the token.
    const pop = path.join(work, 'pop.pem');
    const popArgs = ['--code', 'A1B2C3', '--out', pop, '--passphrase-file', token.pinFile];
    expect((await runEnroller(dir, 'ca', 'verification-cert', ...popArgs)).code).toBe(0);
    expect((await openssl(['verify', '-CAfile', path.join(work, 'root.pem'), pop])).stdout).toContain(': OK');
    expect((await openssl(['x509', '-in', pop, '-noout', '-subject'])).stdout).toContain('CN = A1B2C3');

    // No private key bytes in the data folder: no encrypted key on record, no key text in any file.
    const db = new Database(path.join(dir, 'station.sqlite'), { readonly: true });
    const keys = db.prepare('SELECT count(*) AS n FROM authorities WHERE encrypted_key IS NOT NULL').get() as {
      n: number;
    };
    const ceremony = db.prepare("SELECT details FROM audit_log WHERE action = 'ca.initialized'").get() as {
      details: string;
    };
    db.close();
    expect(keys.n).toBe(0);
    expect(JSON.parse(ceremony.details)).toMatchObject({ token: 'floor-ca', tokenSerial: expect.any(String) });
    for (const file of fs.readdirSync(dir)) {
      const full = path.join(dir, file);
      if (fs.statSync(full).isFile()) expect(fs.readFileSync(full).includes('PRIVATE KEY')).toBe(false);
    }
  });

  it('names what is wrong: the PIN, the token, the module, a PIN in the URI', async () => {
    const token = softhsmToken('floor-ca-2', '654321');
    const dir = tempDir();
    const wrong = path.join(tempDir(), 'wrong.pin');
    fs.writeFileSync(wrong, '000000');
    const init = (uri: string, pin = token.pinFile) =>
      runEnroller(dir, 'ca', 'init', '--force', '--pkcs11', uri, '--token-pin-file', pin);
    expect((await init(token.uri, wrong)).lines[0]).toMatchObject({ code: 'CA_PIN_WRONG' });
    expect((await init(`pkcs11:token=absent?module-path=${SOFTHSM_MODULE}`)).lines[0]).toMatchObject({
      code: 'CA_TOKEN_UNAVAILABLE',
    });
    expect((await init('pkcs11:token=floor-ca-2?module-path=/nonexistent/libpkcs11.so')).lines[0]).toMatchObject({
      code: 'CA_TOKEN_UNAVAILABLE',
    });
    expect(
      (await init(`pkcs11:token=floor-ca-2?pin-value=654321&module-path=${SOFTHSM_MODULE}`)).lines[0],
    ).toMatchObject({
      code: 'CA_TOKEN_URI_INVALID',
    });
    // Made with the right PIN; then unlocking with a wrong one issues nothing.
    expect((await init(token.uri)).code).toBe(0);
    const csrs = tempDir();
    fs.writeFileSync(path.join(csrs, 'd.der'), await makeCsr({ name: 'CN=d' }));
    const enrolled = await runEnroller(
      dir,
      'enroll',
      '--csr',
      csrs,
      '--profile',
      'local',
      '--out-dir',
      path.join(csrs, 'out'),
      '--passphrase-file',
      wrong,
    );
    expect(enrolled.lines[0]).toMatchObject({ code: 'CA_PIN_WRONG' });
    expect(fs.existsSync(path.join(csrs, 'out', 'd.pem'))).toBe(false);
  });

  it.each([
    ['no room for a key', 0],
    ['room for the root key pair but not the issuing one', 8],
  ])('a token with %s is named full; no CA is recorded and no key stays', async (_, roomKb) => {
    // The token's store on a 256 KB tmpfs of its own (in a mount namespace of the CLI's own), filled
    // to leave `roomKb`: SoftHSM2 keeps each key in its own file, so 8 KB hold one key pair.
    const dir = tempDir();
    const work = tempDir('enroller-full-token-');
    fs.mkdirSync(path.join(work, 'tokens'));
    fs.writeFileSync(path.join(work, 'pin'), '123456', { mode: 0o600 });
    const script = [
      'set -e',
      'mount -t tmpfs -o size=256k tmpfs "$1/tokens"',
      `printf 'directories.tokendir = %s/tokens\\nobjectstore.backend = file\\n' "$1" > "$1/softhsm2.conf"`,
      'export SOFTHSM2_CONF="$1/softhsm2.conf"',
      'softhsm2-util --init-token --free --label full-ca --so-pin 87654321 --pin 123456 > /dev/null',
      'free=$(df -k --output=avail "$1/tokens" | tail -1)',
      `dd if=/dev/zero of="$1/tokens/filler" bs=1k count=$((free - ${roomKb})) 2> /dev/null`,
      'work=$1; shift',
      '"$@" > "$work/init.json" || true',
      `pkcs11-tool --module ${SOFTHSM_MODULE} --token-label full-ca --login --pin 123456 --list-objects`,
    ].join('\n');
    const uri = `pkcs11:token=full-ca?module-path=${SOFTHSM_MODULE}`;
    const pin = path.join(work, 'pin');
    const init = [process.execPath, enrollerBin, '--data-dir', dir, '--json', 'ca', 'init', '--pkcs11', uri];
    const made = await run('unshare', ['-m', 'sh', '-c', script, 'sh', work, ...init, '--token-pin-file', pin]);
    expect(made.code, made.stderr).toBe(0);
    const line = JSON.parse(fs.readFileSync(path.join(work, 'init.json'), 'utf8').trim()) as Record<string, unknown>;
    expect(line).toMatchObject({ code: 'CA_TOKEN_FULL' });
    expect(line.message).toMatch(/full-ca.*full or cannot be written.*No key was made/);
    // What pkcs11-tool found in the token afterwards: no key of the CA's.
    expect(made.stdout).not.toMatch(/floor-enroller-ca/);
    expect((await runEnroller(dir, 'ca', 'status')).lines[0]).toMatchObject({ initialized: false });
  });

  it('signs a bulk run with hundreds in flight: the token signs one at a time, every certificate issued', async () => {
    const token = softhsmToken('floor-ca-bulk', '112233');
    const dir = tempDir();
    const csrs = tempDir();
    expect((await runEnroller(dir, 'ca', 'init', '--pkcs11', token.uri, '--token-pin-file', token.pinFile)).code).toBe(
      0,
    );
    await Promise.all(
      Array.from({ length: 150 }, async (_, i) =>
        fs.writeFileSync(path.join(csrs, `b${i}.der`), await makeCsr({ name: `CN=bulk-${i}` })),
      ),
    );
    const out = path.join(csrs, 'out');
    const run = await enrollOnStationCa(dir, csrs, out, token.pinFile);
    expect(run.lines.filter((l) => l.status !== 'issued')).toEqual([]);
    expect(new Set(run.lines.map((l) => l.certSerial)).size).toBe(150);
  });

  it('pulled mid-run: the rest fail coded, nothing written; plugged back, a rerun issues each CSR once', async () => {
    const before = new Set(tokenFolders());
    const token = softhsmToken('floor-ca-pulled', '445566');
    const [folder] = tokenFolders().filter((f) => !before.has(f));
    const dir = tempDir();
    const csrs = tempDir();
    expect((await runEnroller(dir, 'ca', 'init', '--pkcs11', token.uri, '--token-pin-file', token.pinFile)).code).toBe(
      0,
    );
    const count = 600;
    await Promise.all(
      Array.from({ length: count }, async (_, i) =>
        fs.writeFileSync(path.join(csrs, `p${i}.der`), await makeCsr({ name: `CN=pulled-${i}` })),
      ),
    );
    const out = path.join(csrs, 'out');
    let ended = false;
    const running = enrollOnStationCa(dir, csrs, out, token.pinFile).finally(() => (ended = true));
    // The token leaves once the first certificates are out (SoftHSM2 then answers CKR_OBJECT_HANDLE_INVALID).
    const pulled = `${folder!}.pulled`;
    while (!ended && (fs.existsSync(out) ? fs.readdirSync(out).filter((f) => f.endsWith('.pem')).length : 0) < 5)
      await new Promise((r) => setTimeout(r, 5));
    fs.renameSync(folder!, pulled);
    const first = await running;
    const failed = first.lines.filter((l) => l.status === 'failed');
    const issued = first.lines.filter((l) => l.status === 'issued');
    expect(failed.length, 'the run ended before the token was pulled').toBeGreaterThan(0);
    expect(issued.length + failed.length).toBe(count);
    for (const line of failed) {
      expect(line).toMatchObject({ code: 'CA_TOKEN_UNAVAILABLE' });
      expect(line.message).toMatch(/floor-ca-pulled.*plugged in/);
      expect(fs.existsSync(path.join(out, `${path.basename(line.csr as string, '.der')}.pem`))).toBe(false);
    }

    fs.renameSync(pulled, folder!);
    const second = await enrollOnStationCa(dir, csrs, out, token.pinFile);
    expect(second.lines.filter((l) => l.status !== 'issued')).toEqual([]);
    const serials = new Map(second.lines.map((l) => [l.csr, l.certSerial]));
    for (const line of issued) expect(serials.get(line.csr)).toBe(line.certSerial);
    expect(new Set(serials.values()).size).toBe(count);
    const db = new Database(path.join(dir, 'station.sqlite'), { readonly: true });
    const ledger = db.prepare('SELECT COUNT(*) AS n FROM certificates').get();
    db.close();
    expect(ledger).toEqual({ n: count });
  });
});

/** The token folders SoftHSM2 keeps for this test process's tokens. */
function tokenFolders(): string[] {
  const tokens = path.join(path.dirname(process.env.SOFTHSM2_CONF ?? '/nonexistent/x'), 'tokens');
  return fs.existsSync(tokens) ? fs.readdirSync(tokens).map((f) => path.join(tokens, f)) : [];
}
