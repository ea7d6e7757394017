// `enroller device …`: devices after the factory (#19) — find them, see their certificates and
// history, disable, enable, set back to factory mode. Changes are for supervisors only.
import { Command, Option } from 'commander';
import { type ChosenReason } from '../../../shared/revocation';
import { DeviceLifecycle } from '../../station/lifecycle/device-lifecycle';
import { DEVICE_MODES, DeviceRecords, type DeviceMode, type DeviceRecord } from '../../store/device-records';
import { EnrollerError } from '../../../shared/errors';
import { withStation } from '../with-station';
import { reasonOption } from '../reason-option';

export function deviceCommand(): Command {
  const device = new Command('device').description('devices after the factory: modes, certificates, history');
  device.addCommand(deviceList());
  device.addCommand(deviceShow());
  device.addCommand(deviceDisable());
  device.addCommand(deviceEnable());
  device.addCommand(deviceSetFactory());
  return device;
}

function deviceList(): Command {
  return new Command('list')
    .description('every device the station knows, with its mode')
    .addOption(new Option('--mode <mode>', 'only devices in this mode').choices(DEVICE_MODES))
    .option('--search <text>', 'only devices whose ID, IMEI, pet name or certificate serial contains this')
    .action(async (options: { mode?: DeviceMode; search?: string }, command: Command) => {
      await withStation(command, 'read', async (station, { out }) => {
        for (const d of new DeviceRecords(station.db).list(options)) out.record(summary(d), line(d));
      });
    });
}

function deviceShow(): Command {
  return new Command('show')
    .description('one device: its mode, every certificate (serial, issuer, notAfter, status) and its history')
    .argument('<id>', 'device ID')
    .action(async (id: string, _options: unknown, command: Command) => {
      await withStation(command, 'read', async (station, { out }) => {
        const records = new DeviceRecords(station.db);
        const device = records.get(id);
        if (!device) throw new EnrollerError('DEVICE_NOT_FOUND', `The station has no device ${id}.`, { deviceId: id });
        const certificates = records.certificates(id);
        const history = records.history(id);
        const human = [
          line(device),
          ...certificates.map(
            (c) => `  ${c.serial}  ${c.status}${c.reason ? ` (${c.reason})` : ''}  until ${c.notAfter}  ${c.issuer}`,
          ),
          ...history.map((h) => `  ${h.at}  ${h.action}  by ${h.actor}`),
        ].join('\n');
        out.record({ ...summary(device), certificates, history }, human);
      });
    });
}

function deviceDisable(): Command {
  return new Command('disable')
    .description("revoke the device's station-CA certificates and issue nothing more to its ID until it is enabled")
    .argument('<id>', 'device ID')
    .requiredOption('--reason <text>', 'why (kept on the audit record)')
    .addOption(
      reasonOption('--revoke-reason <reason>', 'RFC 5280 reason for the revocations').default('cessationOfOperation'),
    )
    .action(async (id: string, options: { reason: string; revokeReason: ChosenReason }, command: Command) => {
      await withStation(command, 'supervise', async (station, { out, actor }) => {
        const result = new DeviceLifecycle(station.db, station.audit).disable(
          id,
          options.reason,
          options.revokeReason,
          actor,
        );
        const requested = result.requested.length
          ? ` ${result.requested.length} certificate(s) came from a remote service, which alone can revoke them: ` +
            'the request is recorded (`enroller export --format revocation-requests`).'
          : '';
        out.record(
          { status: 'disabled', ...result },
          `${id} disabled; ${result.revoked.length} certificate(s) revoked.${requested}`,
        );
      });
    });
}

function deviceEnable(): Command {
  return new Command('enable')
    .description('allow issuance to a disabled device again (its next provision gets a new certificate)')
    .argument('<id>', 'device ID')
    .action(async (id: string, _options: unknown, command: Command) => {
      await withStation(command, 'supervise', async (station, { out, actor }) => {
        const device = new DeviceLifecycle(station.db, station.audit).enable(id, actor);
        out.record({ status: 'enabled', ...summary(device) }, `${id} is ${device.mode}: it can be provisioned again.`);
      });
    });
}

function deviceSetFactory(): Command {
  return new Command('set-factory')
    .description('back to factory mode: the next provision issues a birth certificate from the station CA')
    .argument('<id>', 'device ID')
    .action(async (id: string, _options: unknown, command: Command) => {
      await withStation(command, 'supervise', async (station, { out, actor }) => {
        const device = new DeviceLifecycle(station.db, station.audit).setFactory(id, actor);
        out.record(
          { status: 'factory', ...summary(device) },
          `${id} is in factory mode: its next provision issues a birth certificate.`,
        );
      });
    });
}

function summary(d: DeviceRecord): Record<string, unknown> {
  return {
    deviceId: d.deviceId,
    mode: d.mode,
    deviceType: d.deviceType,
    petName: d.petName ?? undefined,
    imei: d.imei ?? undefined,
    model: d.model ?? undefined,
    firmware: d.firmware ?? undefined,
    attestationToken: d.attestationToken ?? undefined,
    disabledReason: d.disabledReason ?? undefined,
    nextCertificate: d.nextCertificate ?? undefined,
    updatedAt: d.updatedAt,
  };
}

function line(d: DeviceRecord): string {
  const extra = d.disabledReason ? `  (${d.disabledReason})` : d.nextCertificate ? '  (birth certificate next)' : '';
  return `${d.deviceId.padEnd(28)} ${d.mode.padEnd(11)} ${d.petName ?? ''}${extra}`;
}
