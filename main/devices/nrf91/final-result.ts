// The three whole lines that end an AT reply (3GPP TS 27.007 §9.2; nrf91-at.md §1.2).
// Matched as whole lines only: base64url KEYGEN output often contains "OK".

export type FinalResult = { kind: 'ok' } | { kind: 'error' } | { kind: 'cme'; code: number };

const FINAL = /^(?:(OK)|(ERROR)|\+CME ERROR: ?(\d{1,6}))$/;

export function parseFinalResult(line: string): FinalResult | undefined {
  const match = FINAL.exec(line.trim());
  if (!match) return undefined;
  if (match[1]) return { kind: 'ok' };
  if (match[2]) return { kind: 'error' };
  return { kind: 'cme', code: Number(match[3]) };
}
