// Structured JSON-lines logging, tagged by source. Secrets are redacted by key name wherever
// they appear, so a careless `log.info({ profile })` still cannot leak a password.
import pino from 'pino';

export type Logger = pino.Logger;

const secretKeys = ['passphrase', 'password', 'pin', 'challenge', 'privateKey', 'keyPem', 'pkcs8', 'secret', 'token'];
const redactPaths = secretKeys.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);

export interface LogOptions {
  /** A file path (appended) or a numeric fd; stderr by default so stdout stays clean for --json. */
  readonly destination?: string | number;
  readonly level?: pino.LevelWithSilent;
  /** Somewhere else to write the lines (an attached CLI command's stderr, across its socket). */
  readonly sink?: { write(line: string): void };
}

export function createLogger(options: LogOptions = {}): Logger {
  const destination =
    options.sink ??
    pino.destination({
      dest: options.destination ?? 2,
      sync: true, // a crash must not lose the last lines; log volume here is small
      mkdir: true,
    });
  return pino(
    {
      level: options.level ?? 'info',
      base: { source: 'station' },
      redact: { paths: redactPaths, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}

/** A logger for one part of the station: every line carries `source`. */
export function forSource(log: Logger, source: string, bindings: Record<string, unknown> = {}): Logger {
  return log.child({ source, ...bindings });
}
