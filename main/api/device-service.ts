// The contract's device methods (#19) on a station: the Devices tab reads through here, and
// supervisors disable, enable, set back to factory mode and revoke through here.
import { EnrollerError } from '../../shared/errors';
import type { DeviceDetail, DeviceSummary } from '../../shared/contract';
import { REVOCATION_REASONS } from '../../shared/revocation';
import { DeviceLifecycle } from '../station/lifecycle/device-lifecycle';
import type { Station } from '../station/station';
import { DeviceRecords, type DeviceRecord } from '../store/device-records';
import { Revocations } from '../store/revocations';
import type { Caller, ContractService } from './service';

type DeviceMethods =
  'devices:list' | 'devices:show' | 'devices:disable' | 'devices:enable' | 'devices:set-factory' | 'devices:revoke';

export function deviceService(
  station: Station,
  actor: (caller: Caller) => string,
): Pick<ContractService, DeviceMethods> {
  const records = new DeviceRecords(station.db);
  const lifecycle = new DeviceLifecycle(station.db, station.audit);
  const detail = (deviceId: string): DeviceDetail => {
    const device = records.get(deviceId);
    if (!device) throw new EnrollerError('DEVICE_NOT_FOUND', `The station has no device ${deviceId}.`, { deviceId });
    return {
      device: summary(device),
      certificates: records.certificates(deviceId),
      history: records.history(deviceId),
    };
  };
  return {
    'devices:list': ({ mode, search }) => records.list({ mode, search }).map(summary),
    'devices:show': ({ deviceId }) => detail(deviceId),
    'devices:disable': ({ deviceId, reason, revokeReason }, caller) => {
      lifecycle.disable(deviceId, reason, revokeReason, actor(caller));
      return detail(deviceId);
    },
    'devices:enable': ({ deviceId }, caller) => {
      lifecycle.enable(deviceId, actor(caller));
      return detail(deviceId);
    },
    'devices:set-factory': ({ deviceId }, caller) => {
      lifecycle.setFactory(deviceId, actor(caller));
      return detail(deviceId);
    },
    'devices:revoke': ({ serial, reason }, caller) => {
      const revoked = new Revocations(station.db, station.audit).revoke(
        serial,
        REVOCATION_REASONS[reason],
        actor(caller),
      );
      return detail(revoked.deviceId);
    },
  };
}

function summary(d: DeviceRecord): DeviceSummary {
  return {
    deviceId: d.deviceId,
    deviceType: d.deviceType,
    mode: d.mode,
    petName: d.petName,
    imei: d.imei,
    model: d.model,
    firmware: d.firmware,
    disabledReason: d.disabledReason,
    nextCertificate: d.nextCertificate,
    updatedAt: d.updatedAt,
  };
}
