// `enroller profile add|list`: where certificates come from. Passwords, challenges and keys are
// read from files (never argv) and stored sealed with the station passphrase.
import fs from 'node:fs';
import { Command, Option } from 'commander';
import { EnrollerError } from '../../../shared/errors';
import type { ProfileSecrets } from '../../../shared/profile';
import type { ProfileTestReport } from '../../station/profile-test';
import { withStation } from '../context';
import { invocation } from '../invocation';
import { parseCount } from '../numbers';
import { readSecret } from '../secrets';

interface AddOptions {
  local?: boolean;
  est?: string;
  scep?: string;
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
    .addOption(new Option('--local', 'the embedded CA').conflicts(['est', 'scep']))
    .addOption(new Option('--est <url>', 'EST server base URL, e.g. https://est.example:8443').conflicts(['scep']))
    .option('--scep <url>', 'SCEP URL, e.g. http://scep.example/scep')
    .option('--label <label>', 'EST label (/.well-known/est/<label>/…)')
    .option('--user <user>', 'EST HTTP Basic user')
    .option('--password-file <file>', 'EST HTTP Basic password (a file; never on the command line)')
    .option('--client-cert <pem>', "the station's TLS client certificate for EST")
    .option('--client-key <pem>', 'its private key (stored sealed)')
    .option('--trust <pem>', "trust anchors for the server's TLS certificate (PEM file)")
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

/** The profile's settings and secrets as the options give them (secrets read from files, never argv). */
async function profileFromOptions(
  options: AddOptions,
): Promise<{ settings: Record<string, unknown>; secrets: ProfileSecrets }> {
  const secrets: { -readonly [K in keyof ProfileSecrets]: ProfileSecrets[K] } = {};
  let settings: Record<string, unknown>;
  const trustPem = options.trust ? readText(options.trust, 'trust anchor') : undefined;
  const timeout = options.timeout ? { timeoutMs: options.timeout } : {};
  if (options.est) {
    settings = {
      protocol: 'est',
      url: options.est,
      ...(options.label ? { label: options.label } : {}),
      ...(options.user ? { user: options.user } : {}),
      ...(trustPem ? { trustPem } : {}),
      ...timeout,
    };
    if (options.passwordFile) secrets.password = await readSecret(options.passwordFile, 'EST password');
    if (options.clientCert) settings.clientCertPem = readText(options.clientCert, 'client certificate');
    if (options.clientKey) secrets.clientKeyPem = readText(options.clientKey, 'client key');
  } else if (options.scep) {
    settings = {
      protocol: 'scep',
      url: options.scep,
      ...(options.caFingerprint ? { caFingerprintSha256: options.caFingerprint } : {}),
      ...(trustPem ? { trustPem } : {}),
      ...timeout,
    };
    if (options.challengeFile) secrets.challenge = await readSecret(options.challengeFile, 'SCEP challenge');
  } else if (options.local) {
    settings = { protocol: 'local' };
  } else {
    throw new EnrollerError('PROFILE_INVALID', 'Say where certificates come from: --local, --est URL or --scep URL.');
  }
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
