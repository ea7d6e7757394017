// Preflight names each thing a cloud would reject, and finds nothing wrong with a good chain.
// The chain's own soundness for every device; each cloud's rules (cloud-rules.ts) on top.
import crypto from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { x509 } from '../../../main/pki/crypto';
import { intakeCsr, type AcceptedCsr } from '../../../main/pki/csr-intake';
import { blocking, preflight } from '../../../main/pki/preflight';
import { keyPair, makeCsr, P256, RSA2048 } from '../../helpers/csr';
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
  it.each(['none', 'nrf-cloud', 'azure-dps', 'aws-iot'] as const)('passes a good chain for %s', async (cloud) => {
    expect(
      await preflight({
        chain: [leaf, issuing],
        cloud,
        registrationId: 'nrf-1',
        verifiedCas: [fingerprint(root)],
        devicePublicKeySpki: csr.publicKeySpki,
        trustAnchors: [root],
        serverRoot: root,
        maxPemBytes: 4000,
      }),
    ).toEqual([]);
  });

  it.each([
    ['wrong chain order', () => ({ chain: [issuing, leaf] }), 'CHAIN_ORDER'],
    ['CN is not the registration ID', () => ({ registrationId: 'nrf-2' }), 'CN_MISMATCH'],
    ['a CA the cloud has not verified', () => ({ verifiedCas: [] }), 'CA_NOT_VERIFIED'],
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
      cloud: 'azure-dps' as const,
      registrationId: 'nrf-1',
      verifiedCas: [fingerprint(issuing)],
      devicePublicKeySpki: csr.publicKeySpki,
      trustAnchors: [root],
      maxPemBytes: 4000,
    };
    expect(await preflight(base)).toEqual([]);
    const findings = await preflight({ ...base, ...(await change()) });
    expect(blocking(findings).map((f) => f.code)).toContain(code);
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
    const cloud = { cloud: 'nrf-cloud', registrationId: 'nrf-1' } as const;
    const findings = await preflight({ chain: [forged, issuing], ...cloud, trustAnchors: [root] });
    expect(findings.map((f) => f.code)).toEqual(expect.arrayContaining(['SIGNATURE_INVALID', 'MISSING_CLIENT_AUTH']));
    expect((await preflight({ chain: [stranger], ...cloud, trustAnchors: [] })).map((f) => f.code)).toContain(
      'MISSING_CLIENT_AUTH',
    );
    // Without a cloud, only the chain's soundness: the missing clientAuth is no finding.
    expect((await preflight({ chain: [stranger], trustAnchors: [] })).map((f) => f.code)).toEqual([]);
  });

  it('knows which keys each cloud takes: nRF Cloud only P-256, the others RSA 2048 as well', async () => {
    const setup = await stationWithCa();
    const rsaCsr = await intakeCsr(await makeCsr({ alg: RSA2048 }));
    const rsaType = { ...setup.nrf91, keyPolicy: { allowed: ['rsa-2048' as const] } };
    const rsaLeaf = (
      await setup.authority.issue({ csr: rsaCsr, deviceType: rsaType, deviceId: 'nrf-1', attributes: {} })
    ).certificate;
    const anchors = { trustAnchors: [setup.authority.root], registrationId: 'nrf-1', verifiedCas: [] as string[] };
    const chain = [rsaLeaf, setup.authority.issuing];
    setup.station.close();
    const codes = async (cloud: 'nrf-cloud' | 'azure-dps' | 'aws-iot') =>
      blocking(await preflight({ chain, cloud, ...anchors, verifiedCas: [fingerprint(setup.authority.root)] })).map(
        (f) => f.code,
      );
    expect(await codes('nrf-cloud')).toEqual(['KEY_NOT_ACCEPTED']);
    expect(await codes('azure-dps')).toEqual([]);
    expect(await codes('aws-iot')).toEqual([]);
    const [finding] = blocking(await preflight({ chain, cloud: 'nrf-cloud', ...anchors }));
    expect(finding!.message).toBe('The device key is RSA 2048 bits; nRF Cloud accepts EC P-256.');
  });

  it('warns, without stopping the write, about what it cannot know or what may bite a clockless device', async () => {
    const justIssued = { now: new Date(leaf.notBefore.getTime() + 10_000) };
    // The leaf alone under its issuing CA as anchor: the CA certificates are younger than the leaf's back-dated start.
    const findings = await preflight({ chain: [leaf], cloud: 'azure-dps', trustAnchors: [issuing], ...justIssued });
    expect(findings.map((f) => [f.code, f.severity])).toEqual([
      ['CN_MISMATCH', 'warning'],
      ['CA_NOT_VERIFIED', 'warning'],
      ['NOT_BACKDATED', 'warning'],
    ]);
    expect(blocking(findings)).toEqual([]);
  });

  it('AWS IoT checks the CN only when a registration ID is given (its thing name is its own)', async () => {
    const base = { chain: [leaf, issuing], cloud: 'aws-iot' as const, trustAnchors: [root] };
    expect(await preflight(base)).toEqual([]);
    expect((await preflight({ ...base, registrationId: 'thing-7' })).map((f) => f.code)).toEqual(['CN_MISMATCH']);
  });
});

function fingerprint(certificate: x509.X509Certificate): string {
  return crypto.createHash('sha256').update(new Uint8Array(certificate.rawData)).digest('hex');
}
