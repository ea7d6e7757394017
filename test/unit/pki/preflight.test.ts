// Preflight names each thing a cloud would reject, and finds nothing wrong with a good chain.
import { beforeAll, describe, expect, it } from 'vitest';
import { x509 } from '../../../main/pki/crypto';
import { intakeCsr, type AcceptedCsr } from '../../../main/pki/csr-intake';
import { preflight } from '../../../main/pki/preflight';
import { keyPair, makeCsr, P256 } from '../../helpers/csr';
import { stationWithCa } from '../../helpers/authority';

let leaf: x509.X509Certificate;
let issuing: x509.X509Certificate;
let root: x509.X509Certificate;
let csr: AcceptedCsr;

beforeAll(async () => {
  const setup = await stationWithCa();
  csr = await intakeCsr(await makeCsr());
  leaf = (await setup.authority.issue({ csr, deviceType: setup.nrf91, deviceId: 'nrf-1', attributes: {} })).certificate;
  issuing = setup.authority.issuing;
  root = setup.authority.root;
  setup.station.close();
});

async function selfSigned(cn: string, options: { notBefore?: Date; notAfter?: Date } = {}) {
  return x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: `CN=${cn}`,
    keys: (await keyPair()) as never,
    signingAlgorithm: P256,
    notBefore: options.notBefore ?? new Date(Date.now() - 60_000),
    notAfter: options.notAfter ?? new Date(Date.now() + 86_400_000),
  });
}

describe('preflight', () => {
  it('passes a good chain with the right device, key and roots', async () => {
    expect(
      await preflight({
        chain: [leaf, issuing],
        deviceId: 'nrf-1',
        devicePublicKeySpki: csr.publicKeySpki,
        trustAnchors: [root],
        serverRoot: root,
        maxPemBytes: 4000,
      }),
    ).toEqual([]);
  });

  it.each([
    ['wrong chain order', () => ({ chain: [issuing, leaf] }), 'CHAIN_ORDER'],
    ['CN is not the registration ID', () => ({ deviceId: 'nrf-2' }), 'CN_MISMATCH'],
    [
      'key differs from the CSR',
      async () => ({ devicePublicKeySpki: (await intakeCsr(await makeCsr())).publicKeySpki }),
      'KEY_MISMATCH',
    ],
    ['missing server root', async () => ({ serverRoot: await selfSigned('Cloud TLS Root') }), 'SERVER_ROOT_MISSING'],
    ['untrusted root', async () => ({ trustAnchors: [await selfSigned('Other Root')] }), 'UNTRUSTED_ROOT'],
    ['too long for the device', () => ({ maxPemBytes: 600 }), 'TOO_LONG_FOR_DEVICE'],
    ['clock skew (not yet valid)', () => ({ now: new Date(leaf.notBefore.getTime() - 3_600_000) }), 'NOT_YET_VALID'],
    ['expired', () => ({ now: new Date(leaf.notAfter.getTime() + 1000) }), 'EXPIRED'],
  ] as const)('%s → %s', async (_name, change, code) => {
    const base = {
      chain: [leaf, issuing],
      deviceId: 'nrf-1',
      devicePublicKeySpki: csr.publicKeySpki,
      trustAnchors: [root],
      maxPemBytes: 4000,
    };
    const findings = await preflight({ ...base, ...(await change()) });
    expect(findings.map((f) => f.code)).toContain(code);
    for (const f of findings) expect(f.message.length).toBeGreaterThan(20);
  });

  it('finds a signature that does not verify and a missing clientAuth', async () => {
    const stranger = await selfSigned('nrf-1');
    const forged = await x509.X509CertificateGenerator.create({
      serialNumber: '02',
      subject: 'CN=nrf-1',
      issuer: issuing.subject,
      publicKey: leaf.publicKey,
      signingKey: ((await keyPair()) as unknown as { privateKey: never }).privateKey,
      signingAlgorithm: P256,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 86_400_000),
    });
    const findings = await preflight({ chain: [forged, issuing], deviceId: 'nrf-1', trustAnchors: [root] });
    expect(findings.map((f) => f.code)).toEqual(expect.arrayContaining(['SIGNATURE_INVALID', 'MISSING_CLIENT_AUTH']));
    expect((await preflight({ chain: [stranger], deviceId: 'nrf-1', trustAnchors: [] })).map((f) => f.code)).toContain(
      'MISSING_CLIENT_AUTH',
    );
  });
});
