// A second station process for the claim tests: opens the data folder, opens a job for one device
// ID (taking its claim), says "claimed" and waits to be killed — as a batch mid-device would.
import { JobStore } from '../../main/store/job-store';
import { openTestStation } from '../helpers/station';

const [dataDir, deviceId] = process.argv.slice(2);
const station = openTestStation(dataDir);
new JobStore(station.db).start(
  { port: '/dev/ttyOTHER', deviceType: 'nrf91-default', profile: 'local', deviceId: deviceId! },
  ['identified', 'approved'],
);
console.log('claimed');
setInterval(() => undefined, 60_000);
