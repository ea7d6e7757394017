// The fast lane of a bulk `enroll --csr` run on the station CA (#18). Most files of such a run are
// plain requests from devices the station has never met: nothing to resume, refuse or recognise.
// For those, the pipeline's steps are made here without its per-step machinery — the same rows
// and audit entries (opened with its CSR in one commit, the certificate through the ledger's
// reserve → sign → complete, written, read back, done), each before the next side effect, in the
// run's group commit — so one certificate costs the station a few hundred microseconds. Anything
// else goes to the pipeline (runDeviceJob) untouched: a file the lane answers `undefined` for — a
// request the intake would refuse, a device or key the station knows, a fault after the job opened
// (the job fails here and the pipeline resumes it from its last committed step) — gets the
// pipeline's judgement and its words. Nothing is reported before its commit.
import fs from 'node:fs';
import type { DeviceTypeDocument } from '../../../shared/device-type';
import { isEnrollerError } from '../../../shared/errors';
import { certificateFileNames, safeFileStem, writeCertificateFiles } from '../../devices/files/csr-files';
import type { CsrReadAhead } from '../../devices/files/csr-read-ahead';
import type { FileWriter } from '../../devices/files/file-writer';
import path from 'node:path';
import type { DeferredFileSync } from '../../devices/files/file-durability';
import type { LocalAuthority } from '../../pki/authority/local-authority';
import type { SignedCertificate } from '../../pki/authority/ledger';
import { intakeCsr, rememberAccepted, type AcceptedCsr, type CsrIntakeOptions } from '../../pki/csr-intake';
import { keyPolicyOf } from '../../pki/key-policy';
import { certificateOf } from '../../pki/parsed-der';
import { pemBlock } from '../../pki/pem';
import type { FreshRecords } from '../../store/fresh-records';
import type { CryptoWorkers } from '../../pki/crypto-workers';
import type { GroupCommit } from '../../store/group-commit';
import type { JobStore, Step } from '../../store/job-store';
import { fileReadBackMismatch, nameTakenWords, type CsrFileOutcome } from '../pipeline/adapters/csr-file-adapter';
import { certificatePublicKey, sameKey } from '../../pki/public-key-of';
import { chainFrom } from '../pipeline/issuing-chain';
import { checkPlanned } from '../pipeline/preflight-step';
import { TakenNames } from './taken-names';

export interface FreshLaneInput {
  readonly authority: LocalAuthority;
  readonly records: FreshRecords;
  /** Where a job the lane cannot finish ends failed, for the pipeline to resume. */
  readonly jobs: JobStore;
  readonly proofs: CryptoWorkers;
  readonly deviceType: DeviceTypeDocument;
  readonly profile: string;
  readonly outDir: string;
  /** The issuing chain written after the leaf in each PEM file. */
  readonly chainPem: string;
  readonly batchId: string;
  readonly actor: string;
  readonly commit: GroupCommit;
  readonly durability: DeferredFileSync;
  /** Creates the certificate files off the main thread. */
  readonly writer: FileWriter;
  /** Reads the CSR files off the main thread. */
  readonly reader: CsrReadAhead;
}

export class FreshLane {
  readonly #input: FreshLaneInput;
  /** How the lane takes a request in: the device type's key policy, the proofs on the workers. */
  readonly #intake: CsrIntakeOptions;
  /** The chain checked once (preflight) on the lane's first certificate: the rest hang from the same CA. */
  #chainChecked: Promise<void> | undefined;
  /** Set when that check failed: every file goes to the pipeline, which says why for each. */
  #closed = false;
  /** Names being written now: a second file for one waits for it before it looks at the name. */
  readonly #writing = new Map<string, Promise<void>>();
  #taken: TakenNames | undefined;
  /** Requests taken in ahead of their turn (`ahead`), by file: proved while earlier ones are recorded. */
  readonly #accepting = new Map<string, Promise<AcceptedCsr | undefined>>();

  /** A device type whose cloud has rules of its own is checked certificate by certificate: not here. */
  static serves(deviceType: DeviceTypeDocument): boolean {
    return (deviceType.cloud?.target ?? 'none') === 'none';
  }

  constructor(input: FreshLaneInput) {
    this.#input = input;
    // Each file is taken in here once, so not remembered unless it goes to the pipeline (`enroll`).
    const keyPolicy = keyPolicyOf(input.deviceType);
    this.#intake = { keyPolicy, allowRequestedSans: false, proofs: input.proofs, remember: false };
  }

  /**
   * Starts taking in a file that `enroll` will be given later: its proof of possession runs on a
   * worker while the certificates before it are signed, recorded and written, so neither the
   * workers nor the main thread wait for the other (#18). Nothing is recorded until `enroll`.
   */
  ahead(file: string): void {
    if (!this.#closed && !this.#accepting.has(file)) this.#accepting.set(file, this.#accepted(file));
  }

  /** The file's outcome once it is on disk, or undefined when the pipeline is to take the file. */
  async enroll(file: string): Promise<CsrFileOutcome | undefined> {
    const accepting = this.#accepting.get(file);
    this.#accepting.delete(file);
    if (this.#closed) return undefined;
    const csr = await (accepting ?? this.#accepted(file));
    if (!csr) return undefined;
    const outcome = await this.#enrollAccepted(file, csr);
    // The pipeline takes the file next, and finds its request taken in already.
    if (!outcome) rememberAccepted(csr, this.#intake);
    return outcome;
  }

  /** A request taken in: issued, written and recorded here, or undefined for the pipeline to take. */
  async #enrollAccepted(file: string, csr: AcceptedCsr): Promise<CsrFileOutcome | undefined> {
    const { records, actor } = this.#input;
    const deviceId = csr.subjectFields.CN ?? csr.subjectFields.serialNumber;
    // Whether the station has met the device or its key is asked once, as the certificate is
    // recorded (FreshRecords.enrolled): a file the pipeline is to take then costs a signature that
    // is never recorded nor leaves, and each new device (nearly every file) one look instead of two.
    if (!deviceId) return undefined;
    const { deviceType, profile, batchId } = this.#input;
    const { keyFingerprint } = csr;
    const fresh = {
      file,
      deviceId,
      deviceType: deviceType.name,
      profile,
      batchId,
      csrDer: csr.der,
      keyFingerprint,
      actor,
    };
    let jobId: number | undefined;
    const request = { csr, deviceType, deviceId, attributes: { deviceId } };
    // The look and the commit with no await between: another file of this run may have named the ID meanwhile.
    const record = (signed: SignedCertificate) => (jobId = records.enrolled(fresh, signed)) !== undefined;
    // A CA that cannot sign (a token pulled) has recorded nothing: the pipeline meets it and words it.
    const issued = await this.#input.authority.issueFresh(request, record).catch(() => undefined);
    if (!issued || jobId === undefined) return undefined;
    let step: Step = 'written';
    try {
      await this.#checkChain(issued.der, csr, deviceId);
      // The ledger has the certificate on disk before a file names it.
      await this.#input.commit.durable();
      const written = await this.#write(deviceId, issued.der, csr);
      step = 'done';
      records.done(jobId, fresh, { pem: written.pem, der: written.der }, issued);
      await this.#input.commit.durable();
      const message = written.collidedWith ? nameTakenWords(written.collidedWith, written.pem) : undefined;
      const { serial } = issued;
      return {
        csr: file,
        deviceId,
        status: 'issued',
        certFile: written.pem,
        certSerial: serial,
        code: undefined,
        message,
      };
    } catch (error) {
      this.#fail(jobId, step, error);
      return undefined;
    }
  }

  /** The request as the intake takes it in; a refusal, or a file not plainly read, is the pipeline's to word. */
  async #accepted(file: string): Promise<AcceptedCsr | undefined> {
    try {
      const bytes = await this.#input.reader.read(file);
      return bytes && (await intakeCsr(bytes, this.#intake));
    } catch {
      // Refused, unreadable, or the proof workers gone: the pipeline takes the file and words why.
      return undefined;
    }
  }

  /** The preflight the pipeline makes before every write, made on the first certificate of the lane. */
  #checkChain(der: Uint8Array, csr: AcceptedCsr, deviceId: string): Promise<void> {
    const { deviceType, chainPem } = this.#input;
    this.#chainChecked ??= checkPlanned(deviceType, chainFrom(certificateOf(der), chainPem), csr.publicKeySpki, {
      deviceId,
    }).then(
      () => undefined,
      (error: unknown) => {
        this.#closed = true;
        throw error;
      },
    );
    return this.#chainChecked;
  }

  /**
   * `<device ID>.pem` (with the chain) and `.der` on the writer thread, which reads each back as
   * written; the certificate is checked to carry the request's key. A name already in the folder,
   * or taken by another file of this run, goes the one-at-a-time way (writeCertificateFiles), which
   * never overwrites another key's certificate, and is read back here.
   */
  async #write(deviceId: string, der: Uint8Array, csr: AcceptedCsr): Promise<Written> {
    const { outDir, chainPem, durability, writer } = this.#input;
    const stem = safeFileStem(deviceId);
    const name = stem.toLowerCase();
    const taken = this.#takenNames();
    const pem = pemBlock('CERTIFICATE', der);
    let written: Written;
    if (!taken.mightHave(name)) {
      taken.add(name);
      const files = certificateFileNames(outDir, stem);
      // The leaf's PEM (the writer adds the chain) and DER, each read back by the writer as written.
      const writing = writer.write([
        { file: files.pem, data: Buffer.from(pem), chained: true },
        { file: files.der, data: der },
      ]);
      this.#writing.set(name, writing);
      try {
        await writing;
      } finally {
        this.#writing.delete(name);
      }
      durability.written(files.pem);
      durability.written(files.der);
      written = files;
    } else {
      await this.#writing.get(name)?.catch(() => undefined);
      written = await writeCertificateFiles(outDir, deviceId, der, pem, chainPem, durability);
      taken.add(path.basename(written.pem, '.pem').toLowerCase());
      if (!fs.readFileSync(written.der).equals(der)) throw fileReadBackMismatch(deviceId);
    }
    if (!sameKey(certificatePublicKey(der), csr.publicKeySpki)) throw fileReadBackMismatch(deviceId);
    return written;
  }

  /**
   * The names in the out folder, read once (folded as a case-insensitive file system would), and
   * every name this run takes since: one look in memory per certificate instead of two on disk.
   */
  #takenNames(): TakenNames {
    if (!this.#taken) {
      const { outDir } = this.#input;
      fs.mkdirSync(outDir, { recursive: true });
      const names = fs.readdirSync(outDir).filter((f) => /\.(pem|der)$/i.test(f));
      this.#taken = new TakenNames(names.map((f) => f.slice(0, -4).toLowerCase()));
    }
    return this.#taken;
  }

  /** The job ends failed at its step; the pipeline, given the file next, resumes it and words what happens. */
  #fail(jobId: number, step: Step, error: unknown): void {
    const code = isEnrollerError(error) ? error.code : 'INTERNAL';
    const message = error instanceof Error ? error.message : String(error);
    try {
      this.#input.jobs.fail(jobId, step, code, message);
    } catch {
      // A database that cannot take it either: the job stays at its last committed step, where the pipeline resumes.
    }
  }
}

interface Written {
  readonly pem: string;
  readonly der: string;
  readonly collidedWith?: string;
}
