// `enroller provision (--port PATH… | --tpm TCTI…) --device-type NAME [--profile NAME]`: the
// pipeline on each device (nRF91 on a serial port, or a TPM 2.0 by its TCTI), all in parallel (a batch). A live line
// per device on a terminal; one JSON object
// per device (as each finishes) with --json. Exit 0 only when every device verified.
import { Command } from 'commander';
import { SLOT_ENDED, type SlotState } from '../../../shared/contract/batch';
import { EnrollerError, isEnrollerError } from '../../../shared/errors';
import { diskError } from '../../store/disk-errors';
import { WalSync } from '../../store/wal-sync';
import { Bench, type BenchEvents } from '../../station/bench';
import type { Station } from '../../station/station';
import type { JobOutcome } from '../../station/pipeline/job-outcome';
import { serialSlots, tpmSlots } from '../../station/slot-sources';
import { withStation } from '../with-station';
import { invocation } from '../invocation';
import { parseCount } from '../numbers';
import type { Output } from '../output';
import { stationPassphrase } from '../secrets';

interface ProvisionOptions {
  readonly port?: string[];
  readonly tpm?: string[];
  readonly serial?: string;
  readonly outDir?: string;
  readonly deviceType: string;
  readonly profile?: string;
  readonly passphraseFile?: string;
  readonly deadline: number;
  readonly force: boolean;
  readonly petName?: string[];
}

export function provisionCommand(): Command {
  return new Command('provision')
    .description('run the pipeline on each device: identify, key + CSR on the device, certificate, write, read back')
    .option('--port <path...>', 'serial port(s) of nRF91 devices')
    .option(
      '--tpm <tcti...>',
      'TPM 2.0 device(s) by TCTI: device:/dev/tpmrm0, swtpm:host=H,port=P or swtpm:path=SOCKET',
    )
    .option('--serial <serial>', 'the serial number of the one TPM device (an ID and subject attribute)')
    .option('--out-dir <dir>', 'TPM devices: also write each certificate as <deviceId>.pem and .der here')
    .requiredOption('--device-type <name>', 'device type (e.g. nrf91-default)')
    .option('--profile <name>', "enrollment profile (default: the device type's)")
    .option('--passphrase-file <file>', 'station passphrase (the CA and sealed profile secrets)')
    .option('--deadline <seconds>', 'the most one device may take', (v) => parseCount(v, 1), 180)
    .option('--force', 'enroll again devices that are already done', false)
    .option(
      '--pet-name <port=name...>',
      'the pet name for the device on a port (else one is made up, like "amber-falcon")',
    )
    .action(async (options: ProvisionOptions, command: Command) => {
      await withStation(command, 'operate', async (station, { out, log }) => {
        const tpms = options.tpm ?? [];
        const ports = [...(options.port ?? []), ...tpms].map((p) => p.trim());
        if (ports.length === 0) {
          const said = 'Name the devices: --port PATH for a modem, or --tpm TCTI for a TPM.';
          throw new EnrollerError('DEVICE_PORT_OPEN_FAILED', said);
        }
        if (options.serial && tpms.length !== 1) {
          throw new EnrollerError('APPROVAL_INVALID', '--serial names the serial number of exactly one --tpm device.');
        }
        const serial = serialSlots(undefined, options.port ?? []);
        const slots = tpms.length > 0 ? tpmSlots(tpms, serial) : serial;
        const profile = options.profile ?? station.deviceTypes.get(options.deviceType).profile;
        // Attached to a running station: its unlocked session serves this batch (no second unlock).
        const running = invocation().running;
        const durability = running ? undefined : groupedDurability(station, profile);
        try {
          const deviceDeadlineMs = options.deadline * 1000;
          const bench = new Bench(station, slots, reporter(out), log, { deviceDeadlineMs, durability });
          if (running) bench.shareSession(running.bench);
          await provisionOn(bench, { station, options, profile, ports });
        } finally {
          await durability?.end();
        }
      });
    });
}

/** The batch on the named ports, the CA unlocked alongside; exit status 1 unless every device verified. */
async function provisionOn(
  bench: Bench,
  run: { station: Station; options: ProvisionOptions; profile: string; ports: string[] },
): Promise<void> {
  const { station, options, profile, ports } = run;
  // The CA's key is decrypted (PBKDF2 on the thread pool) alongside the devices; only enrolling
  // waits for it. Modems: while they make their keys (~1.5 s), not while they are identified
  // (station/unlock-start.ts). A TPM makes its key in tens of milliseconds: at once. A wrong
  // passphrase stops the batch; each device resumes from its last step on the next run.
  const start = options.tpm?.length ? 'now' : 'once-keys-are-made';
  const unlocked = bench.needsPassphrase(profile)
    ? bench.unlock(await stationPassphrase(options.passphraseFile), 'cli', { start })
    : undefined;
  unlocked?.catch((error: unknown) => stopBatch(bench, diskError(error, station.db.name)));
  // Ctrl-C / SIGTERM cancel: every device stops at once and resumes from its last step next time.
  const stopListening = invocation().onCancel(() => bench.cancel());
  const tpm = options.tpm?.[0]?.trim();
  await bench.start({
    deviceType: options.deviceType,
    profile,
    ports,
    force: options.force,
    actor: 'cli',
    petNames: petNamesOf(options.petName ?? []),
    ...(options.serial && tpm ? { serials: { [tpm]: options.serial } } : {}),
    ...(options.outDir ? { outDir: options.outDir } : {}),
  });
  const outcomes = await bench.finished();
  stopListening();
  await unlocked;
  if (outcomes.some((o) => o.status !== 'verified')) invocation().setExitCode(1);
}

/**
 * The batch's commits made durable in groups, off the main thread, before each step's side effect
 * (store/wal-sync.ts) — when every side effect is a device's or the station's own: the station CA
 * signs, nothing is sent to a service between two steps. Not asked for a command attached to a
 * running station: it shares that station's connection with other work, so it keeps one fsync per commit.
 */
function groupedDurability(station: Station, profile: string): WalSync | undefined {
  if (station.profiles.get(profile).settings.protocol !== 'local') return undefined;
  return WalSync.begin(station.db);
}

/** A failed unlock stops the batch; each device says why (the wrong passphrase, a disk too full to record it). */
function stopBatch(bench: Bench, why: unknown): void {
  bench.cancel(isEnrollerError(why) ? why : undefined);
}

/** `PORT=NAME` pairs (the port may itself hold `=`: the last one splits). */
function petNamesOf(pairs: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    pairs.map((pair) => {
      const at = pair.lastIndexOf('=');
      if (at <= 0) throw new EnrollerError('APPROVAL_INVALID', `--pet-name takes PORT=NAME, not "${pair}".`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
}

/** The bench's events as the CLI shows them: a live line per step on a terminal, one record per device as it ends. */
function reporter(out: Output): BenchEvents {
  const live = !out.json && invocation().stderr.isTTY;
  const printed = new Set<string>();
  let batchId: string | undefined;
  const report = (o: JobOutcome) => {
    if (printed.has(o.port)) return;
    printed.add(o.port);
    out.record({ ...o, batchId }, human(o));
  };
  return {
    deviceChanged: (slot: SlotState) => {
      if (live && (slot.status === 'running' || slot.status === 'paused')) {
        invocation().stderr.write(`  ${slot.port}  ${slot.deviceId ?? ''}  ${slot.step}\n`);
      }
      if (!SLOT_ENDED.has(slot.status)) return;
      const { port, deviceId, petName, certSerial, issuer, code, message } = slot;
      const status = slot.status === 'cancelled' ? 'failed' : (slot.status as JobOutcome['status']);
      report({ port, deviceId, petName, status, certSerial, issuer, code, message });
    },
    batchProgress: (batch) => {
      batchId = batch.id;
    },
  };
}

function human(o: JobOutcome): string {
  if (o.status === 'verified') {
    const pet = o.petName ? ` (${o.petName})` : '';
    return `✔ ${o.port}  ${o.deviceId}${pet}  serial ${o.certSerial}${o.code ? `  (${o.message})` : ''}`;
  }
  if (o.status === 'waiting') return `… ${o.port}  ${o.deviceId ?? ''}  ${o.message}`;
  return `✘ ${o.port}  ${o.deviceId ?? ''}  ${o.code}: ${o.message}`;
}
