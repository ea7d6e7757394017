// The one runner every device job goes through, whatever the device (DESIGN.md's spine):
// identified → approved → csr → enrolled → written → verified → done. It owns what every job does
// the same way — the job's row, each step's result committed before the next side effect with its
// audit row, each step's door (pause, cancel, deadline), progress, and how the job ends — and
// leaves what differs to the device's adapter. A rerun resumes from the last committed step: a
// stored CSR is used again only while the device still holds its key, a stored certificate is
// never requested again.
import { x509 } from '../../pki/crypto';
import type { NewJob } from '../../store/job-store';
import { EnrollerError } from '../../../shared/errors';
import type { DeviceAdapter, Identity, JobInput } from './device-adapter';
import { outcome, type JobOutcome } from './job-outcome';
import { JobRun } from './job-run';
import { obtainForJob } from './obtain-certificate';

export async function runDeviceJob(input: JobInput, adapter: DeviceAdapter): Promise<JobOutcome> {
  const newJob: NewJob = {
    port: input.port,
    deviceType: input.deviceType.name,
    profile: input.profile.name,
    batchId: input.batchId,
  };
  const run: JobRun & Waited = new JobRun(input);
  try {
    await run.enter('identified');
    const identity = await adapter.identify(input.signal);
    run.deviceId = identity.deviceId;
    const opened = await open(input, adapter, run, identity, newJob);
    if ('outcome' in opened) return opened.outcome;
    const ended = await adapter.session(() => provision(input, adapter, run, identity), input.signal);
    if (ended === 'waiting') return adapter.finish?.(run.waited!, run.job) ?? run.waited!;
    return finish(input, adapter, run, opened.owed);
  } catch (caught) {
    const failed = run.failed(input.jobs, newJob, caught, input.port);
    return adapter.finish?.(failed, run.job) ?? failed;
  }
}

type Owed = ReturnType<JobInput['queue']['owedTo']>;
type Opened = { readonly outcome: JobOutcome } | { readonly owed: Owed };

/** Identified and approved in one commit (nothing touches the device between the two), or already done. */
async function open(
  input: JobInput,
  adapter: DeviceAdapter,
  run: JobRun & Waited,
  identity: Identity,
  newJob: NewJob,
): Promise<Opened> {
  const { jobs } = input;
  const id = identity.deviceId;
  const actor = input.actor ?? 'station';
  const previous = jobs.latestFor(id);
  adapter.admit?.(jobs.latestHolding(id), identity);
  // A certificate the sync obtained while this device was away (or for this file) is delivered now.
  const owed = input.force ? undefined : input.queue.owedTo(id, adapter.queueItem.kind);
  const done = previous?.status === 'done' && !input.force && !owed;
  run.reenroll = previous?.status === 'done' && input.force === true;
  if (done && adapter.whenDone === 'skip') {
    // Recognised by ID: already enrolled, verified and recorded. Not enrolled a second time.
    const result = {
      ...(previous.certSerial ? { certSerial: previous.certSerial } : {}),
      ...(previous.certIssuer ? { certIssuer: previous.certIssuer } : {}),
    };
    run.reached(jobs.start({ ...newJob, deviceId: id }, ['identified', 'done'], { result }));
    return {
      outcome: outcome(
        input.port,
        id,
        'verified',
        previous.certSerial,
        previous.certIssuer,
        'DEVICE_ALREADY_ENROLLED',
        'Already enrolled and verified earlier; nothing was changed.',
        input.approvals.petNameOf(id),
      ),
    };
  }
  await run.enter('approved');
  const petName = identity.approval ? (run.petName = input.approvals.petNameFor(id, input.petName)) : undefined;
  const resumable = previous && (previous.status !== 'done' || owed || adapter.whenDone === 'rewrite') && !input.force;
  run.reached(
    jobs.start(
      { ...newJob, deviceId: id },
      ['identified', 'approved'],
      { inheritFrom: resumable ? previous : undefined },
      () => {
        jobs.upsertDevice({ deviceId: id, deviceType: input.deviceType.name, ...identity.device });
        // The approval (ID + pet name) is owed to the registration sink in the same commit.
        if (identity.approval && petName)
          input.approvals.record(id, petName, {
            ...identity.approval,
            deviceType: input.deviceType.name,
            operator: actor,
          });
        input.audit.append('device.approved', id, { ...identity.audit, ...(petName ? { petName } : {}) }, actor);
      },
    ),
  );
  if (owed) {
    const issuer = owed.certDer ? { certIssuer: new x509.X509Certificate(owed.certDer.slice()).issuer } : {};
    run.job = jobs.advance(run.job!.id, 'enrolled', {
      csrDer: owed.csrDer,
      certDer: owed.certDer!,
      certSerial: owed.certSerial!,
      ...issuer,
    });
  }
  return { owed };
}

/** What one stage of the run leaves for the next. */
interface Waited {
  waited?: JobOutcome;
  birth?: boolean;
  /** A device done before and enrolled again on purpose (--force): it gets a new key. */
  reenroll?: boolean;
}

/** csr → enrolled → written → verified, inside the device's session; 'waiting' when the service keeps it. */
async function provision(
  input: JobInput,
  adapter: DeviceAdapter,
  run: JobRun & Waited,
  identity: Identity,
): Promise<'verified' | 'waiting'> {
  const { jobs, signal } = input;
  const id = identity.deviceId;
  const actor = input.actor ?? 'station';
  let current = run.job!;
  if (current.csrDer && !(await adapter.holdsKey(current, signal))) {
    current = run.job = jobs.dropStaleKey(current.id);
    input.audit.append(
      'csr.superseded',
      id,
      { reason: 'the key in the device changed since the CSR was stored' },
      actor,
    );
  }
  if (!current.csrDer) {
    await run.enter('csr');
    const made = await adapter.makeCsr(
      current,
      { challenge: challengeFor(input, adapter, id), fresh: run.reenroll === true },
      signal,
    );
    const { csrDer, keySha256, keyEvidence } = made;
    const result = { csrDer, ...(keySha256 ? { keySha256 } : {}), ...(keyEvidence ? { keyEvidence } : {}) };
    current = run.reached(
      jobs.advance(current.id, 'csr', result, () =>
        input.audit.append(made.audit.action, id, made.audit.details, actor),
      ),
    );
  }
  if (!current.certDer) {
    await run.enter('enrolled');
    const context = {
      deviceId: id,
      deviceType: input.deviceType,
      attributes: { ...identity.attributes, deviceId: id },
      ...(signal ? { signal } : {}),
      ...adapter.enrollContext?.(current, signal),
    };
    const obtained = await obtainForJob(input, adapter, current, context);
    if (obtained.kind === 'waiting') {
      run.waited = outcome(
        input.port,
        id,
        'waiting',
        undefined,
        undefined,
        obtained.words.code,
        obtained.words.message,
        run.petName,
      );
      return 'waiting';
    }
    run.birth = obtained.birth;
    current = run.reached(obtained.job);
  }
  const leaf = new x509.X509Certificate(current.certDer!.slice());
  await run.enter('written');
  const written = await adapter.write(current, leaf, signal);
  current = run.reached(
    jobs.advance(current.id, 'written', { written }, () =>
      input.audit.append('credentials.written', id, { written }, actor),
    ),
  );
  await run.enter('verified');
  await adapter.verify(current, leaf, written, signal);
  // The certificate carries the CSR's key (the adapter proved the device still holds that key).
  const csrKey = new x509.Pkcs10CertificateRequest(current.csrDer!.slice()).publicKey.rawData;
  if (!Buffer.from(leaf.publicKey.rawData).equals(Buffer.from(csrKey))) {
    throw new EnrollerError(
      'MODEM_READBACK_MISMATCH',
      'The written certificate does not carry the key the device generated.',
    );
  }
  return 'verified';
}

/**
 * A SCEP code for a CSR the station builds: one from the profile's bundle (reserved for this device),
 * else the profile's own.
 */
function challengeFor(input: JobInput, adapter: DeviceAdapter, deviceId: string): string | undefined {
  if (!adapter.carriesChallenge || input.profile.enroller.protocol !== 'scep') return undefined;
  const pool = input.credentials?.hasBundles(input.profile.name) ? input.credentials : undefined;
  return (
    pool?.reserve(input.profile.name, deviceId, input.passphrase, input.actor ?? 'station').secret ??
    input.profile.challenge
  );
}

/**
 * Verified and done in one commit, after the session (a modem back online): a crash before it only
 * repeats idempotent work.
 */
function finish(input: JobInput, adapter: DeviceAdapter, run: JobRun & Waited, owed: Owed): JobOutcome {
  const { jobs } = input;
  const current = run.job!;
  const id = current.deviceId!;
  const birth = run.birth === true;
  const mode = birth || input.deviceType.certificate.kind === 'birth' ? 'FACTORY' : 'OPERATIONAL';
  const details = {
    serial: current.certSerial,
    port: input.port,
    ...(birth ? { birth: true } : {}),
    ...(owed ? { fromQueue: owed.id } : {}),
  };
  run.reached(
    jobs.advance(current.id, ['verified', 'done'], {}, () => {
      jobs.upsertDevice({ deviceId: id, deviceType: input.deviceType.name, mode });
      input.audit.append('device.provisioned', id, details, input.actor ?? 'station');
      if (owed) input.queue.delivered(owed.id);
    }),
  );
  const ended = birth
    ? outcome(
        input.port,
        id,
        'verified',
        current.certSerial,
        current.certIssuer,
        'ENROLL_QUEUED',
        'Factory (birth) certificate written and verified; the operational certificate is queued until the service ' +
          'is back.',
        run.petName,
      )
    : outcome(input.port, id, 'verified', current.certSerial, current.certIssuer, undefined, undefined, run.petName);
  return adapter.finish?.(ended, run.job) ?? ended;
}
