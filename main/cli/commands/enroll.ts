// `enroller enroll --csr FILE… --profile NAME --out-dir DIR`: CSR files in, certificates out (the
// offline case: CSR.der files carried to the station). One JSON object per CSR as each finishes;
// a bad file is reported on its own and the rest go on. Exit 0 only when every CSR was issued.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { isEnrollerError } from '../../../shared/errors';
import { isTransient } from '../../enroll/transient';
import { CsrFileAdapter, csrFileOutcome, type CsrFileOutcome } from '../../station/pipeline/adapters/csr-file-adapter';
import { runDeviceJob } from '../../station/pipeline/run-device-job';
import { QueueStore } from '../../store/queue-store';
import { JobStore } from '../../store/job-store';
import { withStation } from '../context';
import { parseCount } from '../numbers';
import { readSecret } from '../secrets';

const CSR_EXTENSIONS = /\.(der|pem|csr|p10|req)$/i;

/**
 * Files as given; a folder stands for the CSR files in it and its subfolders (DPCM writes one
 * `CSR.der` per device folder), in natural name order so a rerun walks them the same way.
 */
export function expandCsrArguments(args: readonly string[], options: { outDir?: string } = {}): string[] {
  // The out dir may sit inside a scanned folder: what the station wrote there is never read back as a CSR.
  const outDir = options.outDir ? path.resolve(options.outDir) : undefined;
  const inOutDir = (file: string) =>
    outDir !== undefined && !path.relative(outDir, path.resolve(file)).startsWith('..');
  return args.flatMap((arg) => {
    const stat = fs.statSync(arg, { throwIfNoEntry: false });
    if (!stat?.isDirectory()) return [arg];
    return (fs.readdirSync(arg, { recursive: true, withFileTypes: true }) as fs.Dirent[])
      .filter(
        (entry) =>
          entry.isFile() && CSR_EXTENSIONS.test(entry.name) && !inOutDir(path.join(entry.parentPath, entry.name)),
      )
      .map((entry) => path.join(entry.parentPath, entry.name))
      .sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  });
}

export function enrollCommand(): Command {
  return new Command('enroll')
    .description('CSR files in, certificates out: <device ID>.pem (with chain) and .der in the out dir')
    .requiredOption('--csr <file...>', 'CSR file(s), DER or PEM, or folders of them')
    .requiredOption('--profile <name>', 'enrollment profile (e.g. local)')
    .requiredOption('--out-dir <dir>', 'where the certificates are written')
    .option(
      '--device-type <name>',
      'device type that sets the subject, key policy and validity (default: csr-file-default: EC P-256/P-384, RSA ' +
        '2048–4096, ID and subject from the CSR)',
      'csr-file-default',
    )
    .option('--passphrase-file <file>', 'station passphrase (the CA and sealed profile secrets)')
    .option('--concurrency <n>', 'CSRs in flight at once', (v) => parseCount(v, 1), 4)
    .option('--force', 'enroll again a device already enrolled with another key', false)
    .action(
      async (
        options: {
          csr: string[];
          profile: string;
          outDir: string;
          deviceType: string;
          passphraseFile?: string;
          concurrency: number;
          force: boolean;
        },
        command: Command,
      ) => {
        await withStation(command, 'operate', async (station, { out }) => {
          const deviceType = station.deviceTypes.get(options.deviceType);
          const stored = station.profiles.get(options.profile);
          const needsPassphrase = stored.settings.protocol === 'local' || stored.sealedSecrets !== null;
          const passphrase = needsPassphrase
            ? await readSecret(options.passphraseFile, 'Station passphrase')
            : undefined;
          const profile = await station.profiles.activate(options.profile, passphrase, 'cli');
          // Unreachable service and nothing cached: every CSR is queued anyway; sync fetches the chain.
          const chainPem = await station.profiles.chainOf(profile).then(
            (chain) => chain.issuingChain,
            (error: unknown) => {
              if (isEnrollerError(error) && isTransient(error.code)) return '';
              throw error;
            },
          );
          const queue = new QueueStore(station.db);
          const jobs = new JobStore(station.db);
          const files = expandCsrArguments(options.csr, { outDir: options.outDir });
          // One run is one batch: two of its files never get certificates for one device ID.
          const batchId = `enroll-${crypto.randomUUID()}`;
          const outcomes: CsrFileOutcome[] = [];
          let next = 0;
          const worker = async () => {
            while (next < files.length) {
              const file = files[next++]!;
              const outDir = path.resolve(options.outDir);
              const adapter = new CsrFileAdapter({ file, outDir, deviceType, chainPem, batchId, force: options.force });
              const job = {
                port: `file:${file}`,
                deviceType,
                profile,
                db: station.db,
                jobs,
                queue,
                approvals: station.approvals,
                audit: station.audit,
                force: options.force,
                actor: 'cli',
                batchId,
              };
              const o = csrFileOutcome(file, await runDeviceJob(job, adapter));
              outcomes.push(o);
              const human =
                o.status === 'issued'
                  ? `✔ ${o.csr}  ${o.deviceId}  → ${o.certFile}${o.message ? `  (${o.message})` : ''}`
                  : o.status === 'pending'
                    ? `… ${o.csr}  ${o.deviceId ?? ''}  ${o.message}`
                    : `✘ ${o.csr}  ${o.code}: ${o.message}`;
              out.record({ ...o }, human);
            }
          };
          await Promise.all(Array.from({ length: Math.min(options.concurrency, files.length) }, worker));
          if (files.length === 0 || outcomes.some((o) => o.status !== 'issued')) process.exitCode = 1;
        });
      },
    );
}
