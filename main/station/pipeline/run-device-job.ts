// The one runner every device job goes through, whatever the device (DESIGN.md's spine):
// identified → approved → csr → enrolled → written → verified → done. It owns what every job does
// the same way — the job's row, each step's result committed before the next side effect with its
// audit row, each step's door (pause, cancel, deadline), progress, and how the job ends — and
// leaves what differs to the device's adapter. A rerun resumes from the last committed step: a
// stored CSR is used again only while the device still holds its key, a stored certificate is
// never requested again.
import { EnrollerError } from '../../../shared/errors';
import { recoveryWords, type LinkRecovery } from '../../devices/link-recovery';
import { x509 } from '../../pki/crypto';
import { refuseUnmet, type CsrRequirements } from '../../pki/csr-requirements';
import { certificateOf } from '../../pki/parsed-der';
import { certificatePublicKey, csrPublicKey, sameKey } from '../../pki/public-key-of';
import { disabled } from '../../store/device-records';
import type { JobRow, NewJob } from '../../store/job-store';
import type { QueueItem } from '../../store/queue-store';
import { withSignal, type DeviceAdapter, type Identity, type JobInput } from './device-adapter';
import { outcome, type JobOutcome } from './job-outcome';
import { JobRun } from './job-run';
import { obtainForJob } from './obtain-certificate';
import { checkBeforeWriting } from './preflight-step';

export function runDeviceJob(input: JobInput, adapter: DeviceAdapter): Promise<JobOutcome> {
  return new DeviceJob(input, adapter).run();
}

/** One device's way through the steps; each method is one stretch of it. */
class DeviceJob {
  readonly #input: JobInput;
  readonly #adapter: DeviceAdapter;
  readonly #run: JobRun;
  readonly #newJob: NewJob;
  readonly #actor: string;
  #identity: Identity | undefined;
  /** The device's newest job before this one: what it resumes from, or the proof it is done. */
  #previous: JobRow | undefined;
  /** A certificate the sync obtained while this device was away (or for this file), delivered now. */
  #owed: QueueItem | undefined;
  /** Done before and enrolled again on purpose (--force): it gets a new key. */
  #reenroll = false;
  /** The certificate is a birth certificate from the station CA (the service was out of reach). */
  #birth = false;
  /** A supervisor set the device back to factory mode: this provision issues a birth certificate. */
  #birthAsked = false;
  #requirements: Promise<CsrRequirements | undefined> | undefined;

  constructor(input: JobInput, adapter: DeviceAdapter) {
    this.#input = input;
    this.#adapter = adapter;
    this.#run = new JobRun(input);
    this.#actor = input.actor ?? 'station';
    this.#newJob = {
      port: input.port,
      deviceType: input.deviceType.name,
      profile: input.profile.name,
      batchId: input.batchId,
    };
  }

  async run(): Promise<JobOutcome> {
    const unsubscribe = this.#adapter.onRecovery?.((recovery) => this.#recovered(recovery));
    try {
      await this.#run.enter('identified');
      const identity = (this.#identity = await this.#adapter.identify(this.#input.signal));
      this.#run.deviceId = identity.deviceId;
      const alreadyDone = this.#open(identity.deviceId) ?? (await this.#recognise(identity.deviceId));
      if (alreadyDone) return alreadyDone;
      await this.#approve(identity);
      const ended = await this.#adapter.session(() => this.#provision(), this.#input.signal);
      return this.#report(ended === 'verified' ? this.#finish() : ended);
    } catch (caught) {
      return this.#report(this.#run.failed(this.#input.jobs, this.#newJob, caught, this.#input.port));
    } finally {
      unsubscribe?.();
    }
  }

  /** Every recovery is on the audit record (the device's, or the port's before it is known) and on the tile. */
  #recovered(recovery: LinkRecovery): void {
    const { audit, port } = this.#input;
    const subject = this.#identity?.deviceId ?? port;
    audit.append('device.link-recovered', subject, { ...recovery, port, step: this.#run.attempting }, this.#actor);
    this.#run.recovered(recoveryWords(recovery));
  }

  #report(ended: JobOutcome): JobOutcome {
    return this.#adapter.finish?.(ended, this.#run.job) ?? ended;
  }

  #id(): string {
    return this.#identity!.deviceId;
  }

  /**
   * Recognised by ID: a device already enrolled and verified is not enrolled a second time — unless
   * it is enrolled again on purpose (--force), a supervisor set it back to factory mode, or its
   * certificate was revoked. A disabled device is refused before anything touches it.
   */
  #open(id: string): JobOutcome | undefined {
    const { jobs, queue, force } = this.#input;
    const device = jobs.devices.get(id);
    if (device?.mode === 'DISABLED') throw disabled(device);
    this.#birthAsked = device?.nextCertificate === 'birth';
    const previous = (this.#previous = jobs.latestFor(id));
    this.#adapter.admit?.(jobs.latestHolding(id), this.#identity!);
    const done = previous?.status === 'done';
    const revoked = done && this.#adapter.whenDone === 'skip' && this.#heldRevoked(previous);
    const again = force === true || this.#birthAsked || revoked;
    this.#owed = again ? undefined : queue.owedTo(id, this.#adapter.queueItem.kind);
    this.#reenroll = done && again;
    if (!done || again || this.#owed || this.#adapter.whenDone !== 'skip') return undefined;
    const { certSerial, certIssuer } = previous;
    const result = { ...(certSerial ? { certSerial } : {}), ...(certIssuer ? { certIssuer } : {}) };
    this.#run.reached(jobs.start({ ...this.#newJob, deviceId: id }, ['identified', 'done'], { result }));
    const said = 'Already enrolled and verified earlier; nothing was changed.';
    const petName = this.#input.approvals.petNameOf(id);
    return outcome(this.#input.port, id, 'verified', certSerial, certIssuer, 'DEVICE_ALREADY_ENROLLED', said, petName);
  }

  /**
   * After a restore: a device the ledger does not know as done, holding a certificate this station
   * issued (and forgot with the restore), is recognised by it — the certificate goes back on the
   * ledger and nothing new is issued. `--force` enrolls it again as usual.
   */
  async #recognise(id: string): Promise<JobOutcome | undefined> {
    const { jobs, force, signal, port } = this.#input;
    if (force || !this.#adapter.heldCertificate || !jobs.recovered.restored()) return undefined;
    const held = await this.#adapter.heldCertificate(signal);
    const found = held && (await jobs.recovered.forgotten(held, id));
    if (!found) return undefined;
    const { certificate } = found;
    const result = {
      certSerial: certificate.serialNumber,
      certIssuer: certificate.issuer,
      certDer: new Uint8Array(certificate.rawData),
    };
    const done = jobs.start({ ...this.#newJob, deviceId: id }, ['identified', 'done'], { result }, () => {
      jobs.upsertDevice({ deviceId: id, deviceType: this.#input.deviceType.name, mode: 'OPERATIONAL' });
      jobs.recovered.adopt(found, id, this.#actor);
    });
    this.#run.reached(done);
    const said =
      'Recognised by the certificate it holds, which this station issued before its database was restored; it is ' +
      'back on the ledger and nothing new was issued.';
    const petName = this.#input.approvals.petNameOf(id);
    return outcome(port, id, 'verified', result.certSerial, result.certIssuer, 'DEVICE_RECOGNISED', said, petName);
  }

  #heldRevoked(previous: JobRow): boolean {
    return previous.certSerial !== null && this.#input.jobs.revocations.isRevoked(previous.certSerial);
  }

  /** The certificate held before a new one on purpose: superseded in the commit that records the new one. */
  #supersede(): (() => void) | undefined {
    const previous = this.#previous;
    if (!this.#reenroll || !previous?.certSerial) return undefined;
    const held = {
      deviceId: this.#id(),
      serial: previous.certSerial,
      issuer: previous.certIssuer ?? '',
      profile: previous.profile,
    };
    return () => this.#input.jobs.revocations.supersede(held, this.#actor);
  }

  /** Identified and approved in one commit: nothing touches the device between the two. */
  async #approve(identity: Identity): Promise<void> {
    const { jobs, approvals, audit, deviceType } = this.#input;
    const id = identity.deviceId;
    await this.#run.enter('approved');
    const petName = identity.approval ? (this.#run.petName = approvals.petNameFor(id, this.#input.petName)) : undefined;
    const previous = this.#previous;
    const resumable = previous && (previous.status !== 'done' || this.#owed || this.#adapter.whenDone === 'rewrite');
    // Enrolled again on purpose (or back to factory, or after a revocation): a new key, nothing inherited.
    const inheritFrom = resumable && !this.#input.force && !this.#reenroll ? previous : undefined;
    const opened = jobs.start({ ...this.#newJob, deviceId: id }, ['identified', 'approved'], { inheritFrom }, () => {
      jobs.upsertDevice({ deviceId: id, deviceType: deviceType.name, ...identity.device });
      // The approval (ID + pet name) is owed to the registration sink in the same commit.
      if (identity.approval && petName) {
        approvals.record(id, petName, { ...identity.approval, deviceType: deviceType.name, operator: this.#actor });
      }
      audit.append('device.approved', id, { ...identity.audit, ...(petName ? { petName } : {}) }, this.#actor);
    });
    this.#run.reached(opened);
    if (this.#owed) this.#run.job = this.#takeOwed(opened, this.#owed);
  }

  #takeOwed(job: JobRow, owed: QueueItem): JobRow {
    const issuer = owed.certDer ? { certIssuer: new x509.X509Certificate(owed.certDer.slice()).issuer } : {};
    const result = { csrDer: owed.csrDer, certDer: owed.certDer!, certSerial: owed.certSerial!, ...issuer };
    return this.#input.jobs.advance(job.id, 'enrolled', result);
  }

  /** csr → enrolled → written → verified, inside the device's session; 'waiting' when the service keeps it. */
  async #provision(): Promise<'verified' | JobOutcome> {
    await this.#keyAndCsr();
    if (!this.#run.job!.certDer) {
      const waiting = await this.#certificate();
      if (waiting) return waiting;
    }
    await this.#writeAndVerify();
    return 'verified';
  }

  /** A stored CSR is kept only while the device holds its key; otherwise the device makes one. */
  async #keyAndCsr(): Promise<void> {
    const { jobs, audit, signal } = this.#input;
    let current = this.#run.job!;
    if (current.csrDer && !(await this.#adapter.holdsKey(current, signal))) {
      current = this.#run.job = jobs.dropStaleKey(current.id);
      const reason = 'the key in the device changed since the CSR was stored';
      audit.append('csr.superseded', this.#id(), { reason }, this.#actor);
    }
    if (current.csrDer) return;
    await this.#run.enter('csr');
    const options = { challenge: this.#challenge(), fresh: this.#reenroll, asked: await this.#asked() };
    const made = await this.#adapter.makeCsr(current, options, signal);
    const { csrDer, keySha256, keyEvidence } = made;
    const result = { csrDer, ...(keySha256 ? { keySha256 } : {}), ...(keyEvidence ? { keyEvidence } : {}) };
    const record = () => audit.append(made.audit.action, this.#id(), made.audit.details, this.#actor);
    this.#run.reached(jobs.advance(current.id, 'csr', result, record));
  }

  /** The certificate from the profile's service (or the station CA): undefined once recorded, else the wait. */
  async #certificate(): Promise<JobOutcome | undefined> {
    const { signal, deviceType } = this.#input;
    const current = this.#run.job!;
    await this.#run.enter('enrolled');
    const id = this.#id();
    // Refused here, in words, what the service would refuse with a bare 400 (its CSR attributes).
    if (!this.#birthAsked) refuseUnmet(current.csrDer!, await this.#asked(), id);
    await this.#claimInFleet(id, current.csrDer!);
    const context = {
      deviceId: id,
      deviceType,
      attributes: { ...this.#identity!.attributes, deviceId: id },
      ...(signal ? { signal } : {}),
      ...this.#adapter.enrollContext?.(current, signal),
    };
    const obtained = await obtainForJob(this.#input, this.#adapter, current, context, {
      birth: this.#birthAsked,
      andRecord: this.#supersede(),
    });
    if (obtained.kind === 'waiting') {
      const { code, message } = obtained.words;
      return outcome(this.#input.port, id, 'waiting', undefined, undefined, code, message, this.#run.petName);
    }
    this.#birth = obtained.birth;
    this.#run.reached(obtained.job);
    return undefined;
  }

  /** One device ID, one station across the fleet: claimed before a certificate is asked for (#23). */
  async #claimInFleet(id: string, csrDer: Uint8Array): Promise<void> {
    const answer = await this.#input.fleet?.claim(id, csrDer);
    if (answer === 'offline') {
      const details = { reason: 'the fleet could not be reached; it is claimed at the next sync' };
      this.#input.audit.append('fleet.claim-deferred', id, details, this.#actor);
    }
  }

  async #writeAndVerify(): Promise<void> {
    const { jobs, audit, signal } = this.#input;
    let current = this.#run.job!;
    const leaf = certificateOf(current.certDer!);
    await this.#run.enter('written');
    const attributes = this.#identity!.attributes;
    const warnings = await checkBeforeWriting(this.#input.deviceType, this.#adapter, current, leaf, attributes);
    const written = await this.#adapter.write(current, leaf, signal);
    const preflight = warnings.length > 0 ? { preflight: warnings.map((w) => w.code) } : {};
    const record = () => audit.append('credentials.written', this.#id(), { written, ...preflight }, this.#actor);
    current = this.#run.reached(jobs.advance(current.id, 'written', { written }, record));
    await this.#run.enter('verified');
    await this.#adapter.verify(current, leaf, written, signal);
    // The certificate carries the CSR's key (the adapter proved the device still holds that key).
    if (!sameKey(certificatePublicKey(leaf.rawData), csrPublicKey(current.csrDer!))) {
      throw new EnrollerError(
        'MODEM_READBACK_MISMATCH',
        'The written certificate does not carry the key the device generated.',
      );
    }
  }

  /** What the profile's service asks a CSR to carry (EST /csrattrs), asked once for this job. */
  #asked(): Promise<CsrRequirements | undefined> {
    const { enroller } = this.#input.profile;
    this.#requirements ??= enroller.csrRequirements?.(withSignal(this.#input.signal)) ?? Promise.resolve(undefined);
    return this.#requirements;
  }

  /**
   * A SCEP code for a CSR the station builds: one from the profile's bundle (reserved for this
   * device), else the profile's own.
   */
  #challenge(): string | undefined {
    const { credentials, profile, passphrase } = this.#input;
    if (!this.#adapter.carriesChallenge || profile.enroller.protocol !== 'scep') return undefined;
    const pool = credentials?.hasBundles(profile.name) ? credentials : undefined;
    return pool?.reserve(profile.name, this.#id(), passphrase, this.#actor).secret ?? profile.challenge;
  }

  /**
   * Verified and done in one commit, after the session (a modem back online): a crash before it
   * repeats only idempotent work.
   */
  #finish(): JobOutcome {
    const { jobs, queue, audit, deviceType, port } = this.#input;
    const current = this.#run.job!;
    const id = this.#id();
    const birth = this.#birth;
    const owed = this.#owed;
    const mode = birth || deviceType.certificate.kind === 'birth' ? 'FACTORY' : 'OPERATIONAL';
    const details = {
      serial: current.certSerial,
      port,
      ...(birth ? { birth: true } : {}),
      ...(owed ? { fromQueue: owed.id } : {}),
    };
    const done = jobs.advance(current.id, ['verified', 'done'], {}, () => {
      jobs.upsertDevice({ deviceId: id, deviceType: deviceType.name, mode });
      audit.append('device.provisioned', id, details, this.#actor);
      if (owed) queue.delivered(owed.id);
    });
    this.#run.reached(done);
    const said = birth
      ? 'Factory (birth) certificate written and verified; the operational certificate is queued until the service ' +
        'is back.'
      : undefined;
    const code = birth ? 'ENROLL_QUEUED' : undefined;
    return outcome(port, id, 'verified', current.certSerial, current.certIssuer, code, said, this.#run.petName);
  }
}
