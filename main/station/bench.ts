// The bench: the slots devices are plugged into, the station's unlocked state for this session,
// and the batch running on them. The API layer and the CLI drive the station through this.
import type { DeviceTypeDocument } from '../../shared/device-type';
import crypto from 'node:crypto';
import { EnrollerError } from '../../shared/errors';
import type { BatchState, CaStatus, SlotState } from '../../shared/contract/batch';
import { AtClient } from '../devices/nrf91/at-client';
import { luhnValid } from '../devices/nrf91/parsers/identity';
import { Nrf91Modem } from '../devices/nrf91/modem';
import type { Transport } from '../devices/transport';
import { forSource, type Logger } from '../log';
import { JobStore } from '../store/job-store';
import { QueueStore } from '../store/queue-store';
import { Batch } from './batch/batch';
import { Nrf91Adapter } from './pipeline/adapters/nrf91-adapter';
import { TpmAdapter } from './pipeline/adapters/tpm-adapter';
import type { JobInput } from './pipeline/device-adapter';
import type { JobOutcome } from './pipeline/job-outcome';
import { runDeviceJob } from './pipeline/run-device-job';
import { UnlockStart } from './unlock-start';
import { Tpm } from '../devices/tpm/tpm';
import { TpmTools } from '../devices/tpm/tpm-tools';
import { isTcti, parseTcti } from '../devices/tpm/tcti';
import { deferredProfile } from './deferred-profile';
import { durableDoors, type Durability } from './pipeline/durable-doors';
import type { ActiveProfile } from './profiles';
import type { Station } from './station';

/** Where the bench's devices are: serial ports, or simulated modems in this process. */

/** A profile's chain (root, issuing chain) and the station CA's beside it, for birth certificates. */
type ChainPems = { readonly root: string; readonly issuingChain: string; readonly stationChain?: string | undefined };

export interface SlotSource {
  ports(): Promise<string[]>;
  open(port: string): Promise<Transport>;
}

export interface BenchEvents {
  deviceChanged(slot: SlotState): void;
  batchProgress(batch: BatchState): void;
}

export interface BatchRequest {
  readonly deviceType: string;
  readonly profile?: string | undefined;
  readonly ports?: readonly string[] | undefined;
  readonly force?: boolean | undefined;
  readonly actor?: string;
  /** Pet names the technician gave (typed or scanned), by port. */
  readonly petNames?: Readonly<Record<string, string>> | undefined;
  /** Serial numbers given for devices (TPM: an ID and subject attribute), by port. */
  readonly serials?: Readonly<Record<string, string>> | undefined;
  /** TPM devices: also export each certificate as files here. */
  readonly outDir?: string | undefined;
}

/** Default per-device deadline: KEYGEN, a slow service and every write with room to spare. */
export const DEVICE_DEADLINE_MS = 180_000;

export class Bench {
  readonly #station: Station;
  readonly #source: SlotSource;
  readonly #events: BenchEvents;
  readonly #log: Logger;
  readonly #jobs: JobStore;
  readonly #queue: QueueStore;
  readonly #deadlineMs: number;
  readonly #reenumerationMs: number | undefined;
  /** Commits made durable in groups (store/wal-sync.ts): awaited at each step's door and before an outcome. */
  readonly #durability: Durability | undefined;
  #passphrase: string | undefined;
  #profiles = new Map<string, ActiveProfile>();
  /** An unlock in progress: the station CA's profile is handed out deferred until it settles. */
  #unlocking: Promise<Map<string, ActiveProfile>> | undefined;
  /** For an unlock that waits for the batch's devices to be making their keys (unlock-start.ts). */
  #unlockStart: UnlockStart | undefined;
  #batch: Batch | undefined;
  /** Scanned labels by port: the IMEI the device must report, the pet name it gets. */
  readonly #labels = new Map<string, { imei?: string; serial?: string; petName?: string }>();
  #done: Promise<JobOutcome[]> | undefined;

  constructor(
    station: Station,
    source: SlotSource,
    events: BenchEvents,
    log: Logger,
    options: { deviceDeadlineMs?: number; reenumerationWindowMs?: number; durability?: Durability | undefined } = {},
  ) {
    this.#station = station;
    this.#source = source;
    this.#events = events;
    this.#log = forSource(log, 'bench');
    this.#jobs = new JobStore(station.db);
    this.#queue = new QueueStore(station.db);
    this.#deadlineMs = options.deviceDeadlineMs ?? DEVICE_DEADLINE_MS;
    this.#reenumerationMs = options.reenumerationWindowMs;
    this.#durability = options.durability;
  }

  caStatus(): CaStatus {
    return { ...this.#station.ca.status(), unlocked: this.#profiles.has('local') };
  }

  async initCa(
    passphrase: string,
    options: { keyAlgorithm?: 'ec-p256' | 'rsa-2048'; subject?: string } = {},
  ): Promise<CaStatus> {
    await this.#station.ca.init({ passphrase, ...options });
    return this.unlock(passphrase);
  }

  /**
   * Checks the passphrase against the CA and keeps it for this session only (memory). A batch
   * started before this settles runs meanwhile (deferred-profile.ts): only enrolling waits for it.
   */
  async unlock(
    passphrase: string,
    actor = 'station',
    options: { start?: 'now' | 'once-keys-are-made' } = {},
  ): Promise<CaStatus> {
    const start = options.start === 'once-keys-are-made' ? new UnlockStart() : undefined;
    const unlocking = this.#unlockProfiles(passphrase, actor, start);
    this.#unlocking = unlocking;
    this.#unlockStart = start;
    try {
      this.#profiles = await unlocking;
      this.#passphrase = passphrase;
      return this.caStatus();
    } finally {
      if (this.#unlocking === unlocking) {
        this.#unlocking = undefined;
        this.#unlockStart = undefined;
      }
    }
  }

  async #unlockProfiles(
    passphrase: string,
    actor: string,
    start: UnlockStart | undefined,
  ): Promise<Map<string, ActiveProfile>> {
    await start?.given;
    const profiles = new Map<string, ActiveProfile>();
    if (this.#station.ca.status().initialized)
      profiles.set('local', await this.#station.profiles.activate('local', passphrase, actor));
    return profiles;
  }

  /**
   * Takes on another bench's unlocked session (its passphrase and activated profiles), so a batch
   * started through a running station does not unlock the CA a second time.
   */
  shareSession(from: Bench): void {
    this.#passphrase = from.#passphrase;
    this.#profiles = new Map(from.#profiles);
  }

  /** The passphrase this session was unlocked with (memory only), for sealed profile secrets. */
  sessionPassphrase(): string | undefined {
    return this.#passphrase;
  }

  /** A saved profile's settings changed: the next batch activates it afresh. */
  profileChanged(name: string): void {
    if (name !== 'local') this.#profiles.delete(name);
  }

  /** Whether starting a batch with this profile needs the station passphrase first. */
  needsPassphrase(profile: string): boolean {
    if (this.#passphrase !== undefined || this.#unlocking) return false;
    const stored = this.#station.profiles.get(profile);
    return (
      stored.settings.protocol === 'local' ||
      stored.sealedSecrets !== null ||
      this.#station.credentials.hasBundles(profile)
    );
  }

  async view(): Promise<{ batch: BatchState | null; slots: SlotState[] }> {
    const inBatch = new Map((this.#batch?.slots() ?? []).map((s) => [s.port, s]));
    const ports = await this.#source.ports();
    const slots = ports.map((port): SlotState =>
      this.#withLabel(inBatch.get(port) ?? { port, status: 'queued', step: 'detected', attempts: 0 }),
    );
    for (const [port, slot] of inBatch) if (!ports.includes(port)) slots.push(this.#withLabel(slot));
    return { batch: this.#batch?.state() ?? null, slots };
  }

  /** New batch: the finished one leaves the screen (its jobs stay on record) and every label is cleared. */
  async clear(): Promise<{ batch: BatchState | null; slots: SlotState[] }> {
    const status = this.#batch?.state().status;
    if (status === 'running' || status === 'paused' || status === 'cancelling')
      throw new EnrollerError('BATCH_ALREADY_RUNNING', 'Finish or cancel the running batch before starting a new one.');
    this.#batch = undefined;
    this.#done = undefined;
    this.#labels.clear();
    const view = await this.view();
    for (const slot of view.slots) this.#events.deviceChanged(slot);
    return view;
  }

  /** Binds a scanned label to a port (or clears it); the next job on that port checks and uses it. */
  async label(
    port: string,
    label: {
      imei?: string | undefined;
      serial?: string | undefined;
      petName?: string | undefined;
      clear?: boolean | undefined;
    },
  ): Promise<SlotState> {
    if (!(await this.#source.ports()).includes(port))
      throw new EnrollerError('DEVICE_PORT_OPEN_FAILED', `There is no slot ${port} on this bench.`);
    if (label.imei && !luhnValid(label.imei))
      throw new EnrollerError(
        'DEVICE_GARBAGE',
        `${label.imei} is not an IMEI: its check digit is wrong. Scan the label again.`,
      );
    if (label.clear) this.#labels.delete(port);
    else
      this.#labels.set(port, {
        ...this.#labels.get(port),
        ...(label.imei ? { imei: label.imei } : {}),
        ...(label.serial ? { serial: label.serial } : {}),
        ...(label.petName ? { petName: label.petName.trim().toLowerCase() } : {}),
      });
    const slot = (await this.view()).slots.find((s) => s.port === port)!;
    this.#events.deviceChanged(slot);
    return slot;
  }

  #withLabel(slot: SlotState): SlotState {
    const label = this.#labels.get(slot.port);
    return {
      ...slot,
      ...(label?.imei ? { expectedImei: label.imei } : {}),
      ...(label?.serial ? { serial: label.serial } : {}),
      ...(label?.petName && !slot.petName ? { petName: label.petName } : {}),
    };
  }

  /** Starts a batch in the background; returns its first state. `finished()` awaits it. */
  async start(request: BatchRequest): Promise<BatchState> {
    if (this.#batch && this.#batch.state().counts.running + this.#batch.state().counts.paused > 0) {
      throw new EnrollerError(
        'BATCH_ALREADY_RUNNING',
        'A batch is running on this bench; pause, cancel or wait for it first.',
      );
    }
    const deviceType = this.#station.deviceTypes.get(request.deviceType);
    const profile = await this.#activate(request.profile ?? deviceType.profile, request.actor);
    const ports = await this.#portsFor(request, deviceType);
    const chain = await this.#station.profiles.chainOf(profile);
    const stationChain = this.#stationChain(profile.name);
    // Read by each device as it is written (the station CA's are made into PEM only then).
    const pems: ChainPems = {
      get root() {
        return chain.root;
      },
      get issuingChain() {
        return chain.issuingChain;
      },
      stationChain,
    };
    const batchId = crypto.randomUUID();
    this.#station.audit.append(
      'batch.started',
      batchId,
      { deviceType: deviceType.name, profile: profile.name, ports },
      request.actor ?? 'station',
    );
    const batch = new Batch({
      id: batchId,
      deviceType: deviceType.name,
      profile: profile.name,
      ports,
      deviceDeadlineMs: this.#deadlineMs,
      onDevice: (slot) => {
        this.#events.deviceChanged(this.#withLabel(slot));
        this.#unlockStart?.batchChanged(batch.slots());
      },
      onProgress: (state) => this.#events.batchProgress(state),
      runDevice: (port, run) => this.#runDevice({ port, run, request, deviceType, profile, pems, batchId }),
    });
    this.#batch = batch;
    // Approvals go to the registration sink when the batch is done (best effort: what the sink
    // does not take stays in the outbox for the sync worker).
    this.#done = batch.run().then(async (outcomes) => {
      await this.#station.approvals
        .forward(request.actor ?? 'station')
        .catch((error: unknown) => this.#log.warn({ err: error }, 'approvals not forwarded'));
      return outcomes;
    });
    return batch.state();
  }

  /** One device's job, as the batch runs it: reported (and labelled) only once what it says is on disk. */
  async #runDevice(device: {
    port: string;
    run: Pick<JobInput, 'signal' | 'checkpoint' | 'onProgress'>;
    request: BatchRequest;
    deviceType: DeviceTypeDocument;
    profile: ActiveProfile;
    pems: ChainPems;
    batchId: string;
  }): Promise<JobOutcome> {
    const { port, run, request, deviceType, profile, pems, batchId } = device;
    const job: JobInput = {
      port,
      deviceType,
      profile,
      jobs: this.#jobs,
      queue: this.#queue,
      approvals: this.#station.approvals,
      audit: this.#station.audit,
      credentials: this.#station.credentials,
      fleet: this.#station.fleet,
      passphrase: this.#passphrase,
      petName: request.petNames?.[port] ?? this.#labels.get(port)?.petName,
      fallback: profile.name === 'local' ? undefined : this.#profiles.get('local'),
      batchId,
      force: request.force ?? false,
      actor: request.actor ?? 'station',
      ...run,
      ...this.#durableDoors(run.checkpoint),
    };
    const outcome = await (deviceType.device === 'tpm'
      ? this.#runTpm(job, request, pems)
      : this.#runModem(job, pems, profile.trustPem));
    await this.#durability?.durable();
    return this.#labelled(outcome, deviceType, request.actor ?? 'station');
  }

  /** With grouped durability, the doors of steps that act outside wait for the disk (durable-doors.ts). */
  #durableDoors(checkpoint: JobInput['checkpoint']): Pick<JobInput, 'checkpoint'> {
    return this.#durability ? { checkpoint: durableDoors(this.#durability, checkpoint) } : {};
  }

  /** A device enrolled now (not one found done) gets its label, when its type has one and a printer is set. */
  async #labelled(outcome: JobOutcome, deviceType: DeviceTypeDocument, actor: string): Promise<JobOutcome> {
    if (outcome.status !== 'verified' || outcome.code === 'DEVICE_ALREADY_ENROLLED' || !outcome.deviceId)
      return outcome;
    const { labels } = this.#station;
    const known = {
      petName: outcome.petName,
      serial: this.#labels.get(outcome.port)?.serial,
      certSerial: outcome.certSerial,
    };
    const label = await labels.printFor(deviceType, labels.valuesFor(outcome.deviceId, known), actor);
    return label ? { ...outcome, label } : outcome;
  }

  /** Without a choice of ports, a TPM device type runs on the bench's TPMs and a modem type on its serial ports. */
  async #portsFor(request: BatchRequest, deviceType: DeviceTypeDocument): Promise<string[]> {
    const ports = request.ports
      ? [...request.ports]
      : (await this.#source.ports()).filter((port) => isTcti(port) === (deviceType.device === 'tpm'));
    if (ports.length === 0)
      throw new EnrollerError('DEVICE_PORT_OPEN_FAILED', 'No devices are attached to this bench.');
    return ports;
  }

  /** A TPM slot is its TCTI; tpm2-tools is run per command, so nothing stays open. */
  /** The station CA's chain beside a service's: a birth certificate it issues goes out with it. */
  #stationChain(profile: string): string | undefined {
    const { ca } = this.#station;
    return profile !== 'local' && ca.status().initialized ? ca.chainPem() : undefined;
  }

  async #runTpm(job: JobInput, request: BatchRequest, pems: ChainPems): Promise<JobOutcome> {
    const { port, deviceType } = job;
    const tpm = new Tpm(new TpmTools(parseTcti(port)));
    try {
      const serial = request.serials?.[port] ?? this.#labels.get(port)?.serial;
      const { issuingChain: chainPem, stationChain } = pems;
      const slot = { port, tpm, deviceType, chainPem, stationChain, serial, outDir: request.outDir };
      return await runDeviceJob(job, new TpmAdapter(slot));
    } finally {
      tpm.close();
    }
  }

  /** A modem slot is a serial port, held by this job from open to close. */
  async #runModem(job: JobInput, pems: ChainPems, trustPem: string | undefined): Promise<JobOutcome> {
    const { port, deviceType } = job;
    let modem: Nrf91Modem | undefined;
    try {
      const transport = await this.#source.open(port);
      const log = forSource(this.#log, 'device', { port });
      const commandBufferBytes = deviceType.secTags?.commandBufferBytes;
      const buffer = commandBufferBytes ? { commandBufferBytes } : {};
      // A port that vanishes is waited for: a kit that resets on open, or re-enumerates, comes back.
      const window = this.#reenumerationMs ? { reenumerationWindowMs: this.#reenumerationMs } : {};
      const link = { ...buffer, ...window, reopen: () => this.#source.open(port) };
      modem = new Nrf91Modem(new AtClient(transport, log, buffer), log, link);
      const expectedImei = this.#labels.get(port)?.imei;
      const { stationChain } = pems;
      const slot = { port, modem, deviceType, pems, stationChain, trustPem, expectedImei };
      return await runDeviceJob(job, new Nrf91Adapter(slot));
    } finally {
      await modem?.at.close().catch(() => undefined);
    }
  }

  /** Every device's outcome once the current batch (and any retry) has finished. */
  async finished(): Promise<JobOutcome[]> {
    if (!this.#done) throw new EnrollerError('BATCH_NOT_RUNNING', 'No batch has been started.');
    return this.#done;
  }

  pause(): BatchState {
    this.#current().pause();
    return this.#current().state();
  }

  resume(): BatchState {
    this.#current().resume();
    return this.#current().state();
  }

  cancel(why?: EnrollerError): BatchState {
    this.#current().cancel(why);
    return this.#current().state();
  }

  retry(ports?: readonly string[]): BatchState {
    const batch = this.#current();
    const previous = this.#done ?? Promise.resolve([]);
    const retried = batch.retry(ports);
    this.#done = Promise.all([previous, retried]).then(() => batch.outcomes());
    return batch.state();
  }

  #current(): Batch {
    if (!this.#batch) throw new EnrollerError('BATCH_NOT_RUNNING', 'No batch has been started on this bench.');
    return this.#batch;
  }

  /** A profile ready to enroll with this session's passphrase (activated once, then kept). */
  activeProfile(name: string, actor = 'station'): Promise<ActiveProfile> {
    return this.#activate(name, actor);
  }

  async #activate(name: string, actor = 'station'): Promise<ActiveProfile> {
    const cached = this.#profiles.get(name);
    if (cached) return cached;
    const unlocking = this.#unlocking;
    if (unlocking) {
      const start = this.#unlockStart;
      if (name === 'local') {
        const active = unlocking.then((profiles) => profiles.get('local')!);
        return deferredProfile(this.#station.profiles.get('local'), active, () => start?.now());
      }
      start?.now();
      await unlocking.catch(() => undefined);
      return this.#activate(name, actor);
    }
    const stored = this.#station.profiles.get(name);
    if (stored.settings.protocol === 'local' || stored.sealedSecrets) {
      if (!this.#passphrase)
        throw new EnrollerError(
          'CA_PASSPHRASE_REQUIRED',
          `Unlock the station first: profile "${name}" needs the station passphrase.`,
        );
    }
    const active = await this.#station.profiles.activate(name, this.#passphrase, actor);
    this.#profiles.set(name, active);
    return active;
  }
}
