// Fan-out of contract events from the station to every connected UI. Payloads are checked
// against their schema here so no transport can send something the contract does not allow.
import { events, type EventName, type PayloadOf } from '../../shared/contract';

export type EventListener = (event: EventName, payload: unknown) => void;

export class EventHub {
  readonly #listeners = new Set<EventListener>();

  emit<E extends EventName>(event: E, payload: PayloadOf<E>): void {
    const checked = events[event].payload.parse(payload);
    for (const listener of this.#listeners) listener(event, checked);
  }

  subscribe(listener: EventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

/** The bench's notifications as contract events. */
export function benchEventsTo(hub: EventHub): {
  deviceChanged(slot: PayloadOf<'device:changed'>): void;
  batchProgress(batch: PayloadOf<'batch:progress'>): void;
} {
  return {
    deviceChanged: (slot) => hub.emit('device:changed', slot),
    batchProgress: (batch) => hub.emit('batch:progress', batch),
  };
}
