// `enroller provision (--port PATH… | --tpm TCTI…) --device-type NAME [--profile NAME]`: the
// pipeline on each device (nRF91 on a serial port, or a TPM 2.0 by its TCTI), all in parallel (a batch). A live line
// per device on a terminal; one JSON object
// per device (as each finishes) with --json. Exit 0 only when every device verified.
import { Command } from 'commander';
import type { SlotState } from '../../../shared/contract/batch';
import { EnrollerError } from '../../../shared/errors';
import { Bench } from '../../station/bench';
import type { JobOutcome } from '../../station/pipeline/job-outcome';
import { serialSlots, tpmSlots } from '../../station/slot-sources';
import { withStation } from '../context';
import { parseCount } from '../numbers';
import { readSecret } from '../secrets';

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
    .action(
      async (
        options: {
          port?: string[];
          tpm?: string[];
          serial?: string;
          outDir?: string;
          deviceType: string;
          profile?: string;
          passphraseFile?: string;
          deadline: number;
          force: boolean;
          petName?: string[];
        },
        command: Command,
      ) => {
        await withStation(command, 'operate', async (station, { out, log }) => {
          const tpms = options.tpm ?? [];
          const ports = [...(options.port ?? []), ...tpms];
          if (ports.length === 0)
            throw new EnrollerError(
              'DEVICE_PORT_OPEN_FAILED',
              'Name the devices: --port PATH for a modem, or --tpm TCTI for a TPM.',
            );
          if (options.serial && tpms.length !== 1)
            throw new EnrollerError(
              'APPROVAL_INVALID',
              '--serial names the serial number of exactly one --tpm device.',
            );
          const live = !out.json && process.stderr.isTTY;
          const printed = new Set<string>();
          let batchId: string | undefined;
          const report = (o: JobOutcome) => {
            if (printed.has(o.port)) return;
            printed.add(o.port);
            const human =
              o.status === 'verified'
                ? `✔ ${o.port}  ${o.deviceId}${o.petName ? ` (${o.petName})` : ''}  serial ` +
                  `${o.certSerial}${o.code ? `  (${o.message})` : ''}`
                : o.status === 'waiting'
                  ? `… ${o.port}  ${o.deviceId ?? ''}  ${o.message}`
                  : `✘ ${o.port}  ${o.deviceId ?? ''}  ${o.code}: ${o.message}`;
            out.record({ ...o, batchId }, human);
          };
          const bench = new Bench(
            station,
            tpms.length > 0
              ? tpmSlots(tpms, serialSlots(undefined, options.port ?? []))
              : serialSlots(undefined, options.port ?? []),
            {
              deviceChanged: (slot: SlotState) => {
                if (live && (slot.status === 'running' || slot.status === 'paused'))
                  process.stderr.write(`  ${slot.port}  ${slot.deviceId ?? ''}  ${slot.step}\n`);
                if (
                  slot.status === 'verified' ||
                  slot.status === 'failed' ||
                  slot.status === 'waiting' ||
                  slot.status === 'cancelled'
                ) {
                  report({
                    port: slot.port,
                    deviceId: slot.deviceId,
                    petName: slot.petName,
                    status: slot.status === 'cancelled' ? 'failed' : slot.status,
                    certSerial: slot.certSerial,
                    issuer: slot.issuer,
                    code: slot.code,
                    message: slot.message,
                  });
                }
              },
              batchProgress: (batch) => {
                batchId = batch.id;
              },
            },
            log,
            { deviceDeadlineMs: options.deadline * 1000 },
          );
          const profile = options.profile ?? station.deviceTypes.get(options.deviceType).profile;
          if (bench.needsPassphrase(profile))
            await bench.unlock(await readSecret(options.passphraseFile, 'Station passphrase'), 'cli');
          // SIGINT/SIGTERM cancel: every device stops at once and resumes from its last step next time.
          const cancel = () => bench.cancel();
          process.once('SIGINT', cancel);
          process.once('SIGTERM', cancel);
          const petNames = Object.fromEntries(
            (options.petName ?? []).map((pair) => {
              const at = pair.lastIndexOf('=');
              if (at <= 0) throw new EnrollerError('APPROVAL_INVALID', `--pet-name takes PORT=NAME, not "${pair}".`);
              return [pair.slice(0, at), pair.slice(at + 1)];
            }),
          );
          await bench.start({
            deviceType: options.deviceType,
            profile,
            ports: ports.map((p) => p.trim()),
            force: options.force,
            actor: 'cli',
            petNames,
            ...(options.serial ? { serials: { [tpms[0]!.trim()]: options.serial } } : {}),
            ...(options.outDir ? { outDir: options.outDir } : {}),
          });
          const outcomes = await bench.finished();
          process.off('SIGINT', cancel);
          process.off('SIGTERM', cancel);
          if (outcomes.some((o) => o.status !== 'verified')) process.exitCode = 1;
        });
      },
    );
}
