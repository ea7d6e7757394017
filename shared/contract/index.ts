// The one contract between main and every UI (Electron IPC or browser-mode WebSocket).
// Channel names are `domain:verb`. Add methods and events; never change a published shape
// without bumping CONTRACT_VERSION.
import { z } from 'zod';
import type { EventSpec, MethodSpec } from './define';
import { benchEvents, benchMethods } from './batch';
import { adminMethods } from './admin';
import { auditMethods } from './audit';
import { backupMethods } from './backups';
import { deviceMethods } from './devices';
import { fleetEvents, fleetMethods } from './fleet';
import { labelMethods } from './labels';
import { queueEvents, queueMethods } from './queue';
import { sessionMethods } from './session';
import { stationMethods } from './station';

export { CONTRACT_VERSION } from './version';

export const methods = {
  ...stationMethods,
  ...benchMethods,
  ...sessionMethods,
  ...queueMethods,
  ...auditMethods,
  ...adminMethods,
  ...labelMethods,
  ...deviceMethods,
  ...backupMethods,
  ...fleetMethods,
} as const satisfies Record<string, MethodSpec>;

export const events = {
  ...benchEvents,
  ...queueEvents,
  ...fleetEvents,
  'station:log': {
    summary: 'A line the technician should see in the station log.',
    payload: z.object({ level: z.enum(['info', 'warn', 'error']), message: z.string(), at: z.string() }),
  },
} as const satisfies Record<string, EventSpec>;

export type Methods = typeof methods;
export type MethodName = keyof Methods;
export type Events = typeof events;
export type EventName = keyof Events;
export type RequestOf<M extends MethodName> = z.input<Methods[M]['request']>;
export type ResponseOf<M extends MethodName> = z.infer<Methods[M]['response']>;
export type PayloadOf<E extends EventName> = z.infer<Events[E]['payload']>;

export const methodNames = Object.keys(methods) as MethodName[];
export const eventNames = Object.keys(events) as EventName[];

export function isMethodName(name: string): name is MethodName {
  return Object.hasOwn(methods, name);
}

/** What a UI calls. Implemented by the preload bridge and by the WebSocket client alike. */
export type EnrollerApi = {
  [M in MethodName]: (request: RequestOf<M>) => Promise<ResponseOf<M>>;
} & {
  on<E extends EventName>(event: E, listener: (payload: PayloadOf<E>) => void): () => void;
};

export * from './station';
export * from './batch';
export * from './session';
export * from './queue';
export * from './devices';
export * from './audit';
export * from './admin';
export * from './labels';
export * from './backups';
export * from './fleet';
export type { Access, EventSpec, MethodSpec } from './define';
export { allowed } from './define';
