import pino from 'pino';
export type Logger = pino.Logger;
export interface LogOptions {
    /** A file path (appended) or a numeric fd; stderr by default so stdout stays clean for --json. */
    readonly destination?: string | number;
    readonly level?: pino.LevelWithSilent;
}
export declare function createLogger(options?: LogOptions): Logger;
/** A logger for one part of the station: every line carries `source`. */
export declare function forSource(log: Logger, source: string, bindings?: Record<string, unknown>): Logger;
