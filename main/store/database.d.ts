import Database from 'better-sqlite3';
import { type Migration } from './migrations';
export type Db = Database.Database;
export interface OpenOptions {
    readonly migrations?: readonly Migration[];
    readonly readonly?: boolean;
}
export declare function openDatabase(file: string, options?: OpenOptions): Db;
/** Refuses a connection that would not survive a power cut. Called on every open. */
export declare function assertDurable(db: Db): void;
export declare function schemaVersion(db: Db): number;
export declare function migrate(db: Db, migrations: readonly Migration[]): void;
