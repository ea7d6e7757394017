// `enroller provision --port PATH… --device-type NAME`: the pipeline on each device, all ports
// in parallel, one JSON object per device with --json. Exit 0 only when every device verified.
import { Command } from 'commander';
import { EnrollerError } from '../../../shared/errors';
import { AtClient } from '../../devices/nrf91/at-client';
import { Nrf91Modem } from '../../devices/nrf91/modem';
import { PortRegistry } from '../../devices/serial/port-registry';
import { openSerialTransport } from '../../devices/serial/serial-transport';
import { LocalEnroller } from '../../enroll/local/local-enroller';
import { forSource } from '../../log';
import { runNrf91Job, type JobOutcome } from '../../station/pipeline/nrf91-job';
import { JobStore } from '../../store/job-store';
import { withStation } from '../context';
import { readSecret } from '../secrets';

export function provisionCommand(): Command {
  return new Command('provision')
    .description('run the pipeline on each device: identify, key + CSR on the device, certificate, write, read back')
    .requiredOption('--port <path...>', 'serial port(s) of nRF91 devices')
    .requiredOption('--device-type <name>', 'device type (e.g. nrf91-default)')
    .option('--profile <name>', 'enrollment profile (default: the device type\'s)')
    .option('--passphrase-file <file>', 'CA passphrase for the local profile')
    .option('--force', 'enroll again devices that are already done', false)
    .action(async (options: { port: string[]; deviceType: string; profile?: string; passphraseFile?: string; force: boolean }, command: Command) => {
      await withStation(command, async (station, { out, log }) => {
        const deviceType = station.deviceTypes.get(options.deviceType);
        const profile = options.profile ?? deviceType.profile;
        if (profile !== 'local') throw new EnrollerError('PROFILE_NOT_FOUND', `No enrollment profile named "${profile}" on this station (only "local" so far).`);
        const authority = await station.ca.unlock(await readSecret(options.passphraseFile, 'CA passphrase'));
        const enroller = new LocalEnroller(authority);
        const pems = { root: station.ca.rootPem(), issuingChain: station.ca.chainPem() };
        const jobs = new JobStore(station.db);
        const ports = new PortRegistry();
        const outcomes = await Promise.all(
          options.port.map(async (port): Promise<JobOutcome> => {
            let modem: Nrf91Modem | undefined;
            try {
              const transport = await openSerialTransport(port, ports, { owner: 'provision' });
              const portLog = forSource(log, 'device', { port });
              modem = new Nrf91Modem(new AtClient(transport, portLog), portLog);
              return await runNrf91Job({ port, modem, deviceType, profile, enroller, pems, db: station.db, jobs, audit: station.audit, force: options.force });
            } catch (error) {
              const e = error instanceof EnrollerError ? error : new EnrollerError('INTERNAL', String(error));
              return { port, deviceId: undefined, status: 'failed', certSerial: undefined, issuer: undefined, code: e.code, message: e.message };
            } finally {
              await modem?.at.close().catch(() => undefined);
            }
          }),
        );
        for (const o of outcomes) {
          const human = o.status === 'verified' ? `✔ ${o.port}  ${o.deviceId}  serial ${o.certSerial}` : `✘ ${o.port}  ${o.deviceId ?? ''}  ${o.code}: ${o.message}`;
          out.record({ ...o }, human);
        }
        if (outcomes.some((o) => o.status !== 'verified')) process.exitCode = 1;
      });
    });
}
