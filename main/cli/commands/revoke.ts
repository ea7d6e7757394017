// `enroller revoke --serial HEX --reason R`: revoke one certificate the station CA issued (#19).
// The next CRL and every OCSP answer carry it from the moment this command returns.
import { Command } from 'commander';
import { REVOCATION_REASONS, type ChosenReason } from '../../../shared/revocation';
import { Revocations } from '../../store/revocations';
import { withStation } from '../with-station';
import { reasonOption } from '../reason-option';

export function revokeCommand(): Command {
  return new Command('revoke')
    .description('revoke a certificate the station CA issued (supervisors)')
    .requiredOption('--serial <hex>', 'the certificate serial number (hexadecimal)')
    .addOption(reasonOption('--reason <reason>', 'RFC 5280 revocation reason').makeOptionMandatory())
    .action(async (options: { serial: string; reason: ChosenReason }, command: Command) => {
      await withStation(command, 'supervise', async (station, { out, actor }) => {
        const revoked = new Revocations(station.db, station.audit).revoke(
          options.serial,
          REVOCATION_REASONS[options.reason],
          actor,
        );
        out.record(
          {
            status: 'revoked',
            serial: revoked.serial,
            deviceId: revoked.deviceId,
            reason: options.reason,
            revokedAt: revoked.revokedAt,
          },
          `Certificate ${revoked.serial} of ${revoked.deviceId} revoked (${options.reason}); the next CRL lists it.`,
        );
      });
    });
}
