// One CSV line as the station's downloads write it: every field quoted, quotes doubled (RFC 4180).
export function csvLine(values: ReadonlyArray<string | number | undefined>): string {
  return values.map((v) => `"${String(v ?? '').replace(/"/g, '""')}"`).join(',');
}
