// `enroller profile add|list`: where certificates come from. Passwords, challenges and keys are
// read from files (never argv) and stored sealed with the station passphrase.
import fs from 'node:fs';
import { Command, Option } from 'commander';
import { EnrollerError } from '../../../shared/errors';
import type { ProfileSecrets } from '../../../shared/profile';
import type { ProfileTestReport } from '../../station/profile-test';
import { withStation } from '../with-station';
import { invocation } from '../invocation';
import { parseCount } from '../numbers';
import { readSecret } from '../secrets';

interface AddOptions {
  local?: boolean;
  est?: string;
  scep?: string;
  cmp?: string;
  secretFile?: string;
  reference?: string;
  recipient?: string;
  label?: string;
  user?: string;
  passwordFile?: string;
  clientCert?: string;
  clientKey?: string;
  trust?: string;
  challengeFile?: string;
  caFingerprint?: string;
  timeout?: number;
  passphraseFile?: string;
  replace: boolean;
}

function readText(file: string, what: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new EnrollerError('PROFILE_INVALID', `Cannot read the ${what} file ${file}: ${(error as Error).message}`);
  }
}

export function profileCommand(): Command {
  const profile = new Command('profile').description('enrollment profiles: the local CA, an EST or a SCEP service');

  profile.addCommand(profileAdd());

  profile.addCommand(profileList());
  profile.addCommand(profileTest());
  return profile;
}

/** `profile test NAME`: reach, authenticate, fetch the CA chain; each failure in words (exit 1). */
function profileTest(): Command {
  return new Command('test')
    .description("test a profile's service: name, port, TLS, credentials, CSR attributes, CA chain")
    .argument('<name>')
    .option('--passphrase-file <file>', 'station passphrase, when the profile has sealed secrets')
    .action(async (name: string, options: { passphraseFile?: string }, command: Command) => {
      await withStation(command, 'read', async (station, { out }) => {
        const sealed = station.profiles.get(name).secrets.length > 0;
        const passphrase = sealed ? await readSecret(options.passphraseFile, 'Station passphrase') : undefined;
        const report = await station.profiles.test(name, passphrase);
        out.record({ ...report }, testWords(report));
        if (report.status === 'failed') invocation().setExitCode(1);
      });
    });
}

const MARKS = { ok: '✔', failed: '✘', skipped: '·', unknown: '?' } as const;

function testWords(report: ProfileTestReport): string {
  const lines = report.steps.map((s) => `${MARKS[s.status]} ${s.step.padEnd(14)} ${s.message}`);
  const chain = report.caChain.map((c) => `  ${c.subject}  sha256 ${c.sha256}`);
  const verdict =
    report.status === 'passed' ? `Profile ${report.profile}: works.` : `Profile ${report.profile}: fails.`;
  return [verdict, ...lines, ...(chain.length ? ['CA chain:', ...chain] : [])].join('\n');
}

function profileAdd(): Command {
  return new Command('add')
    .description('add an enrollment profile (--local, --est URL or --scep URL)')
    .argument('<name>')
    .addOption(new Option('--local', 'the embedded CA').conflicts(['est', 'scep', 'cmp']))
    .addOption(
      new Option('--est <url>', 'EST server base URL, e.g. https://est.example:8443').conflicts(['scep', 'cmp']),
    )
    .addOption(new Option('--scep <url>', 'SCEP URL, e.g. http://scep.example/scep').conflicts(['cmp']))
    .option('--cmp <url>', 'CMP endpoint, e.g. http://ca.example:8080/pkix/')
    .option('--secret-file <file>', 'CMP shared secret for MAC protection (a file)')
    .option('--reference <ref>', 'CMP: the reference (senderKID) the server knows the shared secret by')
    .option('--recipient <dn>', "CMP: the CA's distinguished name for the header (default: the NULL-DN)")
    .option('--label <label>', 'EST label (/.well-known/est/<label>/…)')
    .option('--user <user>', 'EST HTTP Basic user')
    .option('--password-file <file>', 'EST HTTP Basic password (a file; never on the command line)')
    .option('--client-cert <pem>', "the station's certificate: EST TLS client authentication, CMP signatures")
    .option('--client-key <pem>', 'its private key (stored sealed)')
    .option('--trust <pem>', "trust anchors for the server's TLS certificate; CMP (required): the service's CAs")
    .option('--challenge-file <file>', 'SCEP challenge password (a file)')
    .option('--ca-fingerprint <sha256>', 'SHA-256 of the SCEP CA certificate: GetCACert is pinned to it')
    .option('--timeout <ms>', 'deadline of each request to the service', (v) => parseCount(v, 1000))
    .option('--passphrase-file <file>', 'station passphrase that seals the secrets')
    .option('--replace', 'replace a profile of the same name', false)
    .action(async (name: string, options: AddOptions, command: Command) => {
      await withStation(command, 'configure', async (station, { out }) => {
        const { settings, secrets } = await profileFromOptions(options);
        const needsPassphrase = Object.keys(secrets).length > 0;
        const passphrase = needsPassphrase ? await readSecret(options.passphraseFile, 'Station passphrase') : undefined;
        const saved = await station.profiles.add(name, settings, secrets, {
          ...(passphrase ? { passphrase } : {}),
          replace: options.replace,
          actor: 'cli',
        });
        out.record(
          { status: 'saved', name: saved.name, protocol: saved.settings.protocol, secrets: saved.secrets },
          `Profile ${saved.name} (${saved.settings.protocol}) ` +
            `saved${saved.secrets.length ? `; sealed: ${saved.secrets.join(', ')}` : ''}.`,
        );
      });
    });
}

type Secrets = { -readonly [K in keyof ProfileSecrets]: ProfileSecrets[K] };
type Made = { settings: Record<string, unknown>; secrets: ProfileSecrets };

/** The profile's settings and secrets as the options give them (secrets read from files, never argv). */
async function profileFromOptions(options: AddOptions): Promise<Made> {
  const common = {
    ...(options.trust ? { trustPem: readText(options.trust, 'trust anchor') } : {}),
    ...(options.timeout ? { timeoutMs: options.timeout } : {}),
  };
  if (options.est) return estFrom(options, options.est, common);
  if (options.scep) return scepFrom(options, options.scep, common);
  if (options.cmp) return cmpFrom(options, options.cmp, common);
  if (options.local) return { settings: { protocol: 'local' }, secrets: {} };
  throw new EnrollerError(
    'PROFILE_INVALID',
    'Say where certificates come from: --local, --est URL, --scep URL or --cmp URL.',
  );
}

async function estFrom(options: AddOptions, url: string, common: object): Promise<Made> {
  const secrets: Secrets = {};
  const settings: Record<string, unknown> = {
    protocol: 'est',
    url,
    ...(options.label ? { label: options.label } : {}),
    ...(options.user ? { user: options.user } : {}),
    ...common,
  };
  if (options.passwordFile) secrets.password = await readSecret(options.passwordFile, 'EST password');
  if (options.clientCert) settings.clientCertPem = readText(options.clientCert, 'client certificate');
  if (options.clientKey) secrets.clientKeyPem = readText(options.clientKey, 'client key');
  return { settings, secrets };
}

async function scepFrom(options: AddOptions, url: string, common: object): Promise<Made> {
  const secrets: Secrets = {};
  const pin = options.caFingerprint ? { caFingerprintSha256: options.caFingerprint } : {};
  if (options.challengeFile) secrets.challenge = await readSecret(options.challengeFile, 'SCEP challenge');
  return { settings: { protocol: 'scep', url, ...pin, ...common }, secrets };
}

/** CMP: a shared secret (MAC protection) or the station's certificate and key (signature protection). */
async function cmpFrom(options: AddOptions, url: string, common: object): Promise<Made> {
  const secrets: Secrets = {};
  const settings: Record<string, unknown> = {
    protocol: 'cmp',
    url,
    ...(options.reference ? { reference: options.reference } : {}),
    ...(options.recipient ? { recipient: options.recipient } : {}),
    ...common,
  };
  if (options.secretFile) secrets.secret = await readSecret(options.secretFile, 'CMP shared secret');
  if (options.clientCert) settings.clientCertPem = readText(options.clientCert, 'client certificate');
  if (options.clientKey) secrets.clientKeyPem = readText(options.clientKey, 'client key');
  return { settings, secrets };
}

function profileList(): Command {
  return new Command('list')
    .description('the enrollment profiles of this station (secrets are never shown)')
    .action(async (_options: unknown, command: Command) => {
      await withStation(command, 'read', async (station, { out }) => {
        for (const p of station.profiles.list()) {
          const where = p.settings.protocol === 'local' ? 'embedded CA' : p.settings.url;
          out.record(
            {
              name: p.name,
              protocol: p.settings.protocol,
              ...(p.settings.protocol !== 'local' ? { url: p.settings.url } : {}),
              secrets: p.secrets,
              builtin: p.builtin,
            },
            `${p.name.padEnd(16)} ${p.settings.protocol.padEnd(6)} ${where}`,
          );
        }
      });
    });
}
