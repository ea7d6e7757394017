// %CMNG replies. Source: Nordic "nRF91 AT Commands Reference Guide", Credential storage management
// %CMNG (set command: opcodes 1 list, 2 read); nrf91-at.md §3.1 and §3.4.
import { garbage } from './garbage';

export interface CredentialEntry {
  readonly secTag: number;
  readonly type: number;
  /** SHA-256 of exactly the bytes stored, upper-case hex as the modem prints it. */
  readonly sha256: string;
}

const ENTRY = /^%CMNG: ?(\d{1,10}), ?(\d{1,2}), ?"([0-9A-Fa-f]{64})"/;

/** `AT%CMNG=1[,tag[,type]]`: one `%CMNG: tag,type,"SHA"` per entry; nothing stored → no line. */
export function parseCredentialList(lines: readonly string[]): CredentialEntry[] {
  const entries: CredentialEntry[] = [];
  for (const line of lines) {
    const match = ENTRY.exec(line);
    if (match) entries.push({ secTag: Number(match[1]), type: Number(match[2]), sha256: match[3]!.toUpperCase() });
  }
  return entries;
}

export interface CredentialContent extends CredentialEntry {
  readonly content: string;
}

/** `AT%CMNG=2,tag,type` → `%CMNG: tag,type,"SHA","<content spanning lines>"`. */
export function parseCredentialRead(lines: readonly string[]): CredentialContent {
  for (const line of lines) {
    const match = /^%CMNG: ?(\d{1,10}), ?(\d{1,2}), ?"([0-9A-Fa-f]{64})", ?"([^"]*)"$/s.exec(line);
    if (match) {
      return { secTag: Number(match[1]), type: Number(match[2]), sha256: match[3]!.toUpperCase(), content: match[4]! };
    }
  }
  throw garbage('AT%CMNG=2', 'a credential read (%CMNG: tag,type,"sha","content")', lines);
}
