// "Test connection" for a profile (#21, seed 002's "Test EST server connection"): before anyone
// relies on a service, walk it layer by layer — the name, the port, TLS against the profile's own
// trust, the credentials (with a request that issues nothing), what the server asks a CSR to
// carry, and the CA chain it would give, with fingerprints. The first layer that fails is named in
// one sentence; the layers above it are skipped, not guessed.
import type { ProfileSettings, ProfileTestReport, ProfileTestStep } from '../../shared/profile';
import { isEnrollerError } from '../../shared/errors';
import type { EstEnroller } from '../enroll/est/est-enroller';
import { connectTcp, handshakeTls, resolveName, type Probe, type ServerCertificate } from '../enroll/reachability';

export type { ProfileTestReport };
import type { ScepEnroller } from '../enroll/scep/scep-enroller';
import type { CmpEnroller } from '../enroll/cmp/cmp-enroller';
import { fingerprintOf } from '../pki/authority/local-authority';
import { describeCsrAttributes } from '../pki/csr-attributes';
import type { x509 } from '../pki/crypto';
import type { Enroller } from '../enroll/enroller';

/** What the test needs of an activated profile (profiles.ts's ActiveProfile has it). */
interface TestedProfile {
  readonly name: string;
  readonly settings: ProfileSettings;
  readonly enroller: Enroller;
}

type TestStepName = ProfileTestStep['step'];

const TIMEOUT_MS = 10_000;

/** A remote profile, tested; `oneTimePasswords`: its EST passwords come from bundles (none is spent here). */
export async function testRemoteProfile(
  active: TestedProfile,
  options: { oneTimePasswords?: boolean; signal?: AbortSignal } = {},
): Promise<ProfileTestReport> {
  const settings = active.settings;
  if (settings.protocol === 'local') throw new TypeError('The local profile has no service to test.');
  const url = new URL(settings.url);
  const timeoutMs = Math.min(settings.timeoutMs ?? TIMEOUT_MS, TIMEOUT_MS);
  const context = { timeoutMs, ...(options.signal ? { signal: options.signal } : {}) };
  const steps = new Steps();
  await steps.run('dns', () => resolveName(url));
  await steps.run('tcp', () => connectTcp(url, timeoutMs));
  let serverChain: ServerCertificate[] | undefined;
  if (url.protocol === 'https:') {
    await steps.run('tls', async () => {
      const trust = settings.trustPem ? { anchorsPem: settings.trustPem } : undefined;
      const probe = await handshakeTls(url, trust, clientIdentityOf(active.enroller), timeoutMs);
      serverChain = probe.found;
      return probe;
    });
  } else steps.skip('tls', 'Plain HTTP: no TLS to check (SCEP protects each message itself).');
  await serviceSteps(active.enroller, steps, context, options.oneTimePasswords === true);
  let caChain: ProfileTestReport['caChain'] = [];
  await steps.run('ca', async () => {
    const certificates = await active.enroller.caCerts(context);
    caChain = certificates.map(fingerprinted);
    const root = certificates.find((c) => c.subject === c.issuer) ?? certificates.at(-1);
    const named = root ? `root "${root.subject}"` : 'no root';
    return { ok: true, message: `The service gives ${certificates.length} CA certificate(s); ${named}.` };
  });
  const status: ProfileTestReport['status'] = steps.failed ? 'failed' : 'passed';
  const report = { profile: active.name, protocol: settings.protocol, url: settings.url, status, steps: steps.all };
  return { ...report, ...(serverChain ? { serverChain } : {}), caChain };
}

function clientIdentityOf(enroller: Enroller) {
  return enroller.protocol === 'est' ? (enroller as EstEnroller).clientIdentity : undefined;
}

/** What the protocol lets a test ask without issuing: EST credentials and CSR attributes; SCEP its capabilities. */
async function serviceSteps(
  enroller: Enroller,
  steps: Steps,
  context: { timeoutMs: number; signal?: AbortSignal },
  oneTimePasswords: boolean,
): Promise<void> {
  if (enroller.protocol === 'est') {
    const est = enroller as EstEnroller;
    await steps.run('authentication', () => estCredentials(est, context, oneTimePasswords));
    await steps.run('csrattrs', async () => ({
      ok: true,
      message: describeCsrAttributes(await est.csrAttributes(context)),
    }));
    return;
  }
  if (enroller.protocol === 'cmp') {
    await steps.run('authentication', () => cmpCredentials(enroller as CmpEnroller, context));
    return;
  }
  const scep = enroller as ScepEnroller;
  await steps.run('authentication', async () => {
    const caps = [...(await scep.capabilities(context))].sort();
    return {
      ok: true,
      unknown: true,
      message:
        `The server answers GetCACaps (${caps.join(', ') || 'no capabilities'}). SCEP checks the challenge ` +
        'password only inside an enrollment request, so it is not tested here.',
    };
  });
}

/** CMP: a general message that issues nothing; its answer's protection proves the credentials both ways. */
async function cmpCredentials(cmp: CmpEnroller, context: { timeoutMs: number; signal?: AbortSignal }): Promise<Probe> {
  try {
    await cmp.generalMessage(context);
    return {
      ok: true,
      message:
        'The server answers a general message (genm) protected as this profile expects, and its answer passes the ' +
        "profile's check: the credentials work both ways.",
    };
  } catch (error) {
    if (!isEnrollerError(error) || !['CMP_FAILURE', 'CMP_PROTECTION_INVALID'].includes(error.code)) throw error;
    return { ok: false, code: error.code, message: error.message };
  }
}

async function estCredentials(
  est: EstEnroller,
  context: { timeoutMs: number; signal?: AbortSignal },
  oneTimePasswords: boolean,
): Promise<Probe & { unknown?: boolean }> {
  if (oneTimePasswords)
    return {
      ok: true,
      unknown: true,
      message: "This profile's passwords are one-time codes from bundles; none is spent on a test.",
    };
  const { verdict, status } = await est.checkCredentials(context);
  if (verdict === 'refused')
    return {
      ok: false,
      code: 'ENROLL_UNAUTHORIZED',
      message:
        `The server refused this profile's credentials (HTTP ${status}): check the user and password or the ` +
        'client certificate.',
    };
  if (verdict === 'accepted')
    return {
      ok: true,
      message: "The server accepts this profile's credentials (checked with a request that issues nothing).",
    };
  return {
    ok: true,
    unknown: true,
    message:
      `The server answered a request that issues nothing with HTTP ${status}; whether it accepts the ` +
      'credentials shows at the first enrollment.',
  };
}

/** The steps so far; after a failure the rest are skipped. */
class Steps {
  readonly all: ProfileTestStep[] = [];
  failed = false;

  async run(step: TestStepName, probe: () => Promise<Probe<unknown> & { unknown?: boolean }>): Promise<void> {
    if (this.failed) return this.skip(step, 'Not tried: an earlier step failed.');
    try {
      const result = await probe();
      this.failed = !result.ok;
      const status = !result.ok ? 'failed' : result.unknown ? 'unknown' : 'ok';
      this.all.push({ step, status, message: result.message, ...(result.code ? { code: result.code } : {}) });
    } catch (error) {
      this.failed = true;
      const code = isEnrollerError(error) ? error.code : 'INTERNAL';
      this.all.push({ step, status: 'failed', code, message: (error as Error).message });
    }
  }

  skip(step: TestStepName, message: string): void {
    this.all.push({ step, status: 'skipped', message });
  }
}

/** A CA certificate as the report lists it: its subject and SHA-256 fingerprint. */
export function fingerprinted(certificate: x509.X509Certificate): { subject: string; sha256: string } {
  return { subject: certificate.subject, sha256: fingerprintOf(certificate) };
}
