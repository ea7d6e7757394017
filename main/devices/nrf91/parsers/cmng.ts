// %CMNG replies. Source: Nordic "nRF91 AT Commands Reference Guide", Credential storage management
// %CMNG (set command: opcodes 1 list, 2 read); nrf91-at.md §3.1 and §3.4.
import { garbage } from './garbage';
import { isUrc } from './urc';

export interface CredentialEntry {
  readonly secTag: number;
  readonly type: number;
  /**
   * SHA-256 of exactly the bytes stored, upper-case hex as the modem prints it. Absent on firmware
   * before 1.3.2, which lists no digest (nrf91-at.md §2: SHA verification needs mfw 1.3.2).
   */
  readonly sha256: string | undefined;
}

const ENTRY = /^%CMNG: ?(\d{1,10}), ?(\d{1,2})(?:, ?"([0-9A-Fa-f]{64})")?\s*$/;

/**
 * `AT%CMNG=1[,tag[,type]]`: one `%CMNG: tag,type,"SHA"` per entry; nothing stored → no line. Any
 * other line (URCs are taken out before) is a garbled reply, never read as "nothing stored": a
 * read-back must not conclude from noise.
 */
export function parseCredentialList(lines: readonly string[]): CredentialEntry[] {
  return lines
    .filter((line) => !isUrc(line))
    .map((line) => {
      const match = ENTRY.exec(line);
      if (!match) throw garbage('AT%CMNG=1', 'credential entries (%CMNG: tag,type,"sha")', lines);
      return { secTag: Number(match[1]), type: Number(match[2]), sha256: match[3]?.toUpperCase() };
    });
}

/** A write or delete answers OK alone; anything before the OK is another command's reply or noise. */
export function parseBareOk(command: string): (lines: readonly string[]) => void {
  return (lines) => {
    if (lines.length > 0) throw garbage(command, 'OK alone', lines);
  };
}

export interface CredentialContent extends CredentialEntry {
  readonly content: string;
}

/** `AT%CMNG=2,tag,type` → `%CMNG: tag,type,"SHA","<content spanning lines>"` (no SHA before mfw 1.3.2). */
export function parseCredentialRead(lines: readonly string[]): CredentialContent {
  for (const line of lines) {
    const match = /^%CMNG: ?(\d{1,10}), ?(\d{1,2}),(?: ?"([0-9A-Fa-f]{64})",)? ?"([^"]*)"$/s.exec(line);
    if (match) {
      return { secTag: Number(match[1]), type: Number(match[2]), sha256: match[3]?.toUpperCase(), content: match[4]! };
    }
  }
  throw garbage('AT%CMNG=2', 'a credential read (%CMNG: tag,type,"sha","content")', lines);
}
