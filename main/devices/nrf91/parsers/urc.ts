// Unsolicited result codes: lines the modem prints at any time, from another thread, between or
// inside replies (nrf91-at.md §1.2). Kept apart from replies by the AT client, and skipped by
// parsers as a second line of defence.
/** Unsolicited result codes the modem may print at any time (nrf91-at.md §1.2). */
const URC_PREFIXES = [
  '+CEREG',
  '+CGEV',
  '+CSCON',
  '+CNEC',
  '+CIREG',
  '%CESQ',
  '%XTIME',
  '%MDMEV',
  '%XSIM',
  '%NCELLMEAS',
  '%XMODEMSLEEP',
  '%CONEVAL',
  '%XT3412',
];
/** A line that is a URC, not part of a reply. */
export function isUrc(line: string): boolean {
  return URC_PREFIXES.some((prefix) => line.startsWith(prefix));
}
