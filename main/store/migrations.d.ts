export interface Migration {
    readonly version: number;
    readonly name: string;
    readonly sql: string;
}
export declare const migrations: readonly Migration[];
export declare const latestSchemaVersion: number;
