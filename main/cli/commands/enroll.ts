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
import { JobStore, type Step } from '../../store/job-store';
import { GroupCommit } from '../../store/group-commit';
import { DeferredFileSync } from '../../devices/files/file-durability';
import { LocalEnroller } from '../../enroll/local/local-enroller';
import { FreshLane } from '../../station/bulk/fresh-lane';
import { boundHeapGrowth } from '../../station/bulk/heap-growth';
import { FreshRecords } from '../../store/fresh-records';
import { CryptoWorkers } from '../../pki/crypto-workers';
import { CsrReadAhead } from '../../devices/files/csr-read-ahead';
import { FileWriter } from '../../devices/files/file-writer';
import type { DeviceTypeDocument } from '../../../shared/device-type';
import type { ActiveProfile } from '../../station/profiles';
import type { Station } from '../../station/station';
import { withStation } from '../with-station';
import type { Output } from '../output';
import { invocation } from '../invocation';
import { parseCount } from '../numbers';
import { PathList } from '../path-list';
import { stationPassphrase } from '../secrets';

const CSR_EXTENSIONS = /\.(der|pem|csr|p10|req)$/i;

/**
 * Files as given; a folder stands for the CSR files in it and its subfolders (DPCM writes one
 * `CSR.der` per device folder), in natural name order so a rerun walks them the same way.
 */
export function expandCsrArguments(args: readonly string[], options: { outDir?: string } = {}): string[] {
  // One collator for the whole sort: localeCompare builds one per comparison (100,000 files: seconds).
  const natural = new Intl.Collator(undefined, { numeric: true }).compare;
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
      .sort(natural);
  });
}

interface EnrollOptions {
  readonly csr: string[];
  readonly profile: string;
  readonly outDir: string;
  readonly deviceType: string;
  readonly passphraseFile?: string;
  readonly concurrency?: number;
  readonly force: boolean;
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
    .option('--concurrency <n>', 'CSRs in flight at once (default: 4 to a service, 512 on the station CA)', (v) =>
      parseCount(v, 1),
    )
    .option('--force', 'enroll again a device already enrolled with another key', false)
    .action(async (options: EnrollOptions, command: Command) => {
      // Before the run allocates anything worth collecting, and before its workers start (heap-growth.ts).
      // Only in a process of its own: attached, the command runs inside the station, whose heap is not the run's.
      if (!invocation().running) boundHeapGrowth();
      await withStation(command, 'operate', async (station, { out }) => {
        const files = new PathList(expandCsrArguments(options.csr, { outDir: options.outDir }));
        const report = new TurnReport(out);
        try {
          const { issued, total } = await enrollFiles(station, options, files, (o) => report.add(o));
          if (total === 0 || issued < total) invocation().setExitCode(1);
        } finally {
          report.flush();
        }
      });
    });
}

/**
 * Outcomes written once a turn of the event loop, in the order they came: a group commit releases
 * hundreds at once, and a write each cost the main thread ~19 µs per CSR (#18). Each is still
 * written only after the commit that makes it true, and within the turn it became so.
 */
class TurnReport {
  readonly #out: Output;
  #pending: Array<readonly [Record<string, unknown>, string]> = [];

  constructor(out: Output) {
    this.#out = out;
  }

  add(outcome: CsrFileOutcome): void {
    if (this.#pending.length === 0) setImmediate(() => this.flush());
    this.#pending.push([{ ...outcome }, human(outcome)]);
  }

  flush(): void {
    const pending = this.#pending;
    this.#pending = [];
    this.#out.records(pending);
  }
}

function human(o: CsrFileOutcome): string {
  const note = o.message ? `  (${o.message})` : '';
  if (o.status === 'issued') return `✔ ${o.csr}  ${o.deviceId}  → ${o.certFile}${note}`;
  if (o.status === 'pending') return `… ${o.csr}  ${o.deviceId ?? ''}  ${o.message}`;
  return `✘ ${o.csr}  ${o.code}: ${o.message}`;
}

/**
 * Each file through the pipeline, `concurrency` at a time; each outcome reported as it finishes.
 * Keeps counts, not outcomes, and the paths packed (cli/path-list.ts): what the run holds for each
 * file is its path's bytes, not an outcome or a string.
 */
async function enrollFiles(
  station: Station,
  options: EnrollOptions,
  files: PathList,
  report: (o: CsrFileOutcome) => void,
): Promise<{ issued: number; total: number }> {
  const deviceType = station.deviceTypes.get(options.deviceType);
  const { profile, chainPem } = await activeProfile(station, options);
  const outDir = path.resolve(options.outDir);
  const group = bulkDurability(station, profile);
  // One run is one batch: two of its files never get certificates for one device ID.
  const batchId = `enroll-${crypto.randomUUID()}`;
  const { force } = options;
  const services = {
    jobs: new JobStore(station.db),
    queue: new QueueStore(station.db),
    approvals: station.approvals,
    audit: station.audit,
    fleet: station.fleet,
    // The only side effect that leaves the station before the report is writing the files: the
    // steps before it read the CSR and sign in memory. So that step's door is the barrier.
    ...(group ? { checkpoint: (step: Step) => (step === 'written' ? group.commit.durable() : undefined) } : {}),
  };
  const durability = group?.files;
  const fast =
    group && freshLane(station, { profile, deviceType, outDir, chainPem, batchId, group, jobs: services.jobs });
  let issued = 0;
  let next = 0;
  const concurrency = options.concurrency ?? (group ? GROUP_CONCURRENCY : SERVICE_CONCURRENCY);
  const lookAhead = Math.min(concurrency, LOOK_AHEAD);
  const worker = async () => {
    while (next < files.length) {
      const file = files.at(next++)!;
      // A file further on is taken in now, so its proof is ready by its turn.
      const later = files.at(next - 1 + lookAhead);
      if (later !== undefined) fast?.lane.ahead(later);
      let outcome = await fast?.lane.enroll(file);
      if (!outcome) {
        const adapter = new CsrFileAdapter({ file, outDir, deviceType, chainPem, batchId, force, durability });
        const job = { port: `file:${file}`, deviceType, profile, ...services, force, actor: 'cli', batchId };
        outcome = csrFileOutcome(file, await runDeviceJob(job, adapter));
        // Reported only once what it says is on disk (its job's rows and its files).
        await group?.commit.durable();
      }
      if (outcome.status === 'issued') issued++;
      report(outcome);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, worker));
  } finally {
    await fast?.close();
    await group?.commit.end();
    group?.files.close();
  }
  return { issued, total: files.length };
}

/** CSRs in flight against a service: what it is polite to ask of one at once. */
const SERVICE_CONCURRENCY = 4;
/**
 * CSRs in flight on the station CA: enough for each flush to serve many certificates. 512 ran as
 * fast as 1,024 (10,000 and 100,000 CSRs, alternating runs) with 10–20 MB less peak RSS.
 */
const GROUP_CONCURRENCY = 512;
/**
 * How many files ahead of the next one the fast lane takes in (FreshLane.ahead): the proof worker
 * does a few hundred in the time the main thread records them. Further ahead (a whole round in
 * flight, 1,024 when measured) only kept more requests alive for the young-generation collector.
 */
const LOOK_AHEAD = 256;
/** How long a group gathers steps before it commits (store/group-commit.ts; 30,000 CSRs: 12 % faster). */
const GATHER_MS = 10;

/**
 * Group commit (store/group-commit.ts) when every side effect of the run is the station's own: the
 * station CA signs and files are written, nothing is sent anywhere. A command attached to a running
 * station shares its connection with other work, so it keeps one fsync per commit.
 */
function bulkDurability(
  station: Station,
  profile: ActiveProfile,
): { commit: GroupCommit; files: DeferredFileSync } | undefined {
  if (profile.settings.protocol !== 'local' || invocation().running) return undefined;
  const files = new DeferredFileSync();
  return { commit: new GroupCommit(station.db, () => files.flush(), GATHER_MS), files };
}

/**
 * The fast lane for devices the station has never met (station/bulk/fresh-lane.ts): on the station
 * CA in a group commit, outside a fleet (whose claims the pipeline makes), for a device type with
 * no cloud rules of its own, with the chain at hand.
 */
function freshLane(
  station: Station,
  run: {
    profile: ActiveProfile;
    deviceType: DeviceTypeDocument;
    outDir: string;
    chainPem: string;
    batchId: string;
    group: { commit: GroupCommit; files: DeferredFileSync };
    jobs: JobStore;
  },
): { lane: FreshLane; close: () => Promise<void> } | undefined {
  const { enroller } = run.profile;
  if (!(enroller instanceof LocalEnroller) || !FreshLane.serves(run.deviceType) || !run.chainPem) return undefined;
  if (station.fleet) return undefined;
  const { commit, files: durability } = run.group;
  const { deviceType, outDir, chainPem, batchId, jobs } = run;
  const input = { jobs, audit: station.audit, deviceType, profile: run.profile.name, outDir, chainPem, batchId };
  const records = new FreshRecords(station.db, station.audit);
  // The workers prove each request and, with the station's own key (not a token's), sign too.
  const proofs = new CryptoWorkers({ caKey: enroller.authority.fileKey() });
  const signing = proofs.signingKey();
  const authority = signing ? enroller.authority.signingWith(signing) : enroller.authority;
  const writer = new FileWriter(chainPem);
  const reader = new CsrReadAhead();
  const lane = { ...input, authority, records, proofs, writer, reader, actor: 'cli', commit, durability };
  const close = async () => void (await Promise.all([proofs.close(), writer.close(), reader.close()]));
  return { lane: new FreshLane(lane), close };
}

/** The profile, unlocked where it needs the passphrase — or as the running station has it unlocked. */
async function activate(station: Station, options: EnrollOptions): Promise<ActiveProfile> {
  const running = invocation().running;
  if (running && !options.passphraseFile && running.bench.sessionPassphrase() !== undefined)
    return running.bench.activeProfile(options.profile, 'cli');
  const stored = station.profiles.get(options.profile);
  const needsPassphrase = stored.settings.protocol === 'local' || stored.sealedSecrets !== null;
  const passphrase = needsPassphrase ? await stationPassphrase(options.passphraseFile) : undefined;
  return station.profiles.activate(options.profile, passphrase, 'cli');
}

/** The profile ready to enroll, and the chain its certificates hang from. */
async function activeProfile(
  station: Station,
  options: EnrollOptions,
): Promise<{ profile: ActiveProfile; chainPem: string }> {
  const profile = await activate(station, options);
  // Unreachable service and nothing cached: every CSR is queued anyway; sync fetches the chain.
  const chainPem = await station.profiles.chainOf(profile).then(
    (chain) => chain.issuingChain,
    (error: unknown) => {
      if (isEnrollerError(error) && isTransient(error.code)) return '';
      throw error;
    },
  );
  return { profile, chainPem };
}
