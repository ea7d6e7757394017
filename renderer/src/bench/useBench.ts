// The bench as the UI sees it: the slots and the batch, loaded once and then kept current from
// the `device:changed` and `batch:progress` events. Slots are indexed by port so an event on a
// bench of 10,000 costs one lookup and one array copy, and unchanged tiles keep their identity.
import { useEffect, useState } from 'react';
import type { BatchState, EnrollerApi, SlotState } from '../../../shared/contract';

export interface BenchView {
  readonly batch: BatchState | null;
  readonly slots: readonly SlotState[];
}

/** The bench, and a way to take a whole new view (after "New batch"). */
export function useBench(api: EnrollerApi): BenchView & { readonly replace: (view: BenchView) => void } {
  const [view, setView] = useState<BenchView>({ batch: null, slots: [] });
  useEffect(() => {
    let live = true;
    const index = new Map<string, number>();
    const reindex = (slots: readonly SlotState[]) => {
      index.clear();
      slots.forEach((s, i) => index.set(s.port, i));
    };
    void api['device:list']({}).then((initial) => {
      if (!live) return;
      reindex(initial.slots);
      setView(initial);
    });
    const offDevice = api.on('device:changed', (slot) =>
      setView((v) => {
        const at = index.get(slot.port);
        if (at === undefined || v.slots[at]?.port !== slot.port) {
          const slots = [...v.slots.filter((s) => s.port !== slot.port), slot];
          reindex(slots);
          return { ...v, slots };
        }
        const slots = v.slots.slice();
        slots[at] = slot;
        return { ...v, slots };
      }),
    );
    const offBatch = api.on('batch:progress', (batch) => setView((v) => ({ ...v, batch })));
    return () => {
      live = false;
      offDevice();
      offBatch();
    };
  }, [api]);
  return { ...view, replace: setView };
}
