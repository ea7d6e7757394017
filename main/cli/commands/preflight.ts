// `enroller preflight --cert PEM [--chain PEM] --cloud C [--registration-id ID]`: would this
// cloud take this certificate? The same rules the pipeline checks before every write (#21), for
// files from anywhere — a line engineer's check before a batch, or of a device that was refused.
// Exit 1 when a rule is broken; warnings alone pass.
import fs from 'node:fs';
import { Command, Option } from 'commander';
import { cloudTargets, type CloudTarget } from '../../../shared/device-type';
import { EnrollerError } from '../../../shared/errors';
import { x509 } from '../../pki/crypto';
import { pemCertificateBlocks } from '../../pki/pem';
import { blocking, preflight, type Finding } from '../../pki/preflight';
import { context } from '../context';
import { invocation } from '../invocation';

interface PreflightOptions {
  cert: string;
  chain?: string;
  cloud: CloudTarget;
  registrationId?: string;
  verifiedCa?: string[];
}

export function preflightCommand(): Command {
  return new Command('preflight')
    .description("check a certificate and its chain against a cloud's rules before it goes into a device")
    .requiredOption('--cert <pem>', 'the device certificate (a file that may hold its chain after it)')
    .option('--chain <pem>', 'the issuing chain: issuing CA first, then any root')
    .addOption(
      new Option('--cloud <cloud>', 'the cloud the device connects to').choices(cloudTargets).makeOptionMandatory(),
    )
    .option('--registration-id <id>', 'the ID the device registers with (Azure DPS, nRF Cloud: the CN)')
    .option(
      '--verified-ca <sha256>',
      'a CA the cloud has verified (SHA-256 fingerprint, hex); repeat for several',
      (value: string, all: string[] = []) => [...all, value],
    )
    .action(async (options: PreflightOptions, command: Command) => {
      const { out } = context(command);
      const read = [...readCertificates(options.cert), ...(options.chain ? readCertificates(options.chain) : [])];
      // A certificate file often carries its chain already: each certificate counts once, in first-seen order.
      const given = read.filter((c, i) => read.findIndex((other) => other.equal(c)) === i);
      const roots = given.filter((c) => c.subject === c.issuer);
      const chain = given.filter((c) => c.subject !== c.issuer);
      const findings = await preflight({
        chain: chain.length > 0 ? chain : given,
        cloud: options.cloud,
        registrationId: options.registrationId,
        verifiedCas: options.verifiedCa,
        trustAnchors: roots,
      });
      const passed = blocking(findings).length === 0;
      out.record(
        {
          status: passed ? 'passed' : 'failed',
          cloud: options.cloud,
          ...(options.registrationId ? { registrationId: options.registrationId } : {}),
          findings: findings.map(({ code, severity, message }) => ({ rule: code, severity, message })),
        },
        words(findings, passed, options.cloud),
      );
      if (!passed) invocation().setExitCode(1);
    });
}

function words(findings: readonly Finding[], passed: boolean, cloud: CloudTarget): string {
  const lines = findings.map((f) => `${f.severity === 'error' ? '✘' : '!'} ${f.code}: ${f.message}`);
  const verdict = passed ? `✔ passes the ${cloud} rules` : `✘ would be refused (${cloud})`;
  return [verdict, ...lines].join('\n');
}

function readCertificates(file: string): x509.X509Certificate[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new EnrollerError('PREFLIGHT_INPUT_INVALID', `${file} cannot be read (${(error as Error).message}).`);
  }
  const blocks = pemCertificateBlocks(text);
  if (blocks.length === 0)
    throw new EnrollerError(
      'PREFLIGHT_INPUT_INVALID',
      `${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----).`,
    );
  try {
    return blocks.map((block) => new x509.X509Certificate(block));
  } catch (error) {
    throw new EnrollerError(
      'PREFLIGHT_INPUT_INVALID',
      `${file} holds a certificate that cannot be read: ${(error as Error).message}.`,
    );
  }
}
