// Running tpm2-tools: execFile with argument arrays (never a shell), the TCTI as an argument,
// a deadline on every call, and the tools' stderr turned into coded errors. Transient objects
// are flushed after each command that makes them: swtpm has no resource manager, and three
// leftover contexts fill it (PEERS.md).
import { execFile } from 'node:child_process';
import { EnrollerError } from '../../../shared/errors';

export interface TpmCallOptions {
  readonly signal?: AbortSignal | undefined;
  /** Flush transient objects afterwards (for commands that load or create them). */
  readonly flush?: boolean;
}

export class TpmTools {
  readonly tcti: string;
  readonly #deadlineMs: number;

  constructor(tcti: string, options: { deadlineMs?: number } = {}) {
    this.tcti = tcti;
    this.#deadlineMs = options.deadlineMs ?? 15_000;
  }

  /** Runs `tool args…` against this TPM; resolves with stdout. */
  async run(tool: string, args: readonly string[], options: TpmCallOptions = {}): Promise<Buffer> {
    try {
      return await this.#exec(tool, args, options.signal);
    } finally {
      if (options.flush) await this.#exec('tpm2_flushcontext', ['-t'], undefined).catch(() => undefined);
    }
  }

  #exec(tool: string, args: readonly string[], signal: AbortSignal | undefined): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      execFile(
        tool,
        [`--tcti=${this.tcti}`, ...args],
        {
          encoding: 'buffer',
          timeout: this.#deadlineMs,
          killSignal: 'SIGKILL',
          maxBuffer: 4 * 1024 * 1024,
          ...(signal ? { signal } : {}),
          env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TSS2_LOG: 'all+ERROR' },
        },
        (error, stdout, stderr) => {
          if (!error) return resolve(stdout);
          reject(
            toTpmError(
              tool,
              this.tcti,
              error as NodeJS.ErrnoException & { killed?: boolean; signal?: string },
              stderr.toString('utf8'),
              signal,
            ),
          );
        },
      );
    });
  }
}

function toTpmError(
  tool: string,
  tcti: string,
  error: NodeJS.ErrnoException & { killed?: boolean },
  stderr: string,
  signal: AbortSignal | undefined,
): EnrollerError {
  if (signal?.aborted) return new EnrollerError('DEVICE_ABORTED', `${tool} was stopped.`);
  if (error.code === 'ENOENT')
    return new EnrollerError(
      'TPM_TOOLS_MISSING',
      `${tool} is not installed: install tpm2-tools (Debian: apt-get install tpm2-tools).`,
    );
  if (error.killed) return new EnrollerError('TPM_TIMEOUT', `The TPM did not answer ${tool} in time.`);
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const text = lines.join(' ');
  if (/Could not load tcti|TCTI_RC_IO|TCTI_RC_NO_CONNECTION|Failed to (receive|send)/i.test(text)) {
    return new EnrollerError(
      'TPM_UNREACHABLE',
      `The TPM cannot be reached: ${tcti}. Is it connected and running, and is the TCTI right?`,
      { tool },
    );
  }
  // "ERROR: Esys_NV_Read(0x14A) - tpm:error(2.0): …" → keep the TPM's own words and response code.
  const tpmLine = lines.find((l) => /^ERROR: (Esys|Tss2)_\w+\(0x[0-9A-Fa-f]+\)/.test(l));
  const responseCode = /\((0x[0-9A-Fa-f]+)\)/.exec(tpmLine ?? '')?.[1];
  return new EnrollerError(
    'TPM_COMMAND_FAILED',
    `The TPM refused ${tool}: ${(tpmLine ?? lines.at(-1) ?? 'no reason given').replace(/^ERROR: /, '')}.`,
    { tool, ...(responseCode ? { responseCode } : {}) },
  );
}
