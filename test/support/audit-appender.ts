// A second station process for the audit test: appends N rows on its own, outside any caller's transaction.
import { openTestStation } from '../helpers/station';

const [dataDir, count, label] = process.argv.slice(2);
const station = openTestStation(dataDir);
for (let i = 0; i < Number(count); i++) station.audit.append('test.append', `${label}-${i}`, {}, label);
station.close();
