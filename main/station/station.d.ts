import { type StationInfo } from '../../shared/contract';
import { type Db } from '../store/database';
import { type Logger } from '../log';
export type StationMode = StationInfo['mode'];
export interface StationOptions {
    readonly dataDir: string;
    readonly appVersion: string;
    readonly mode: StationMode;
    readonly log: Logger;
}
export declare class Station {
    #private;
    readonly dataDir: string;
    readonly db: Db;
    readonly log: Logger;
    private constructor();
    static open(options: StationOptions): Station;
    info(): StationInfo;
    close(): void;
}
