// The bench as the UI sees it: the slots and the batch, loaded once and then kept current from
// the `device:changed` and `batch:progress` events.
import { useEffect, useState } from 'react';
import type { BatchState, EnrollerApi, SlotState } from '../../../shared/contract';

export interface BenchView {
  readonly batch: BatchState | null;
  readonly slots: readonly SlotState[];
}

export function useBench(api: EnrollerApi): BenchView {
  const [view, setView] = useState<BenchView>({ batch: null, slots: [] });
  useEffect(() => {
    let live = true;
    void api['device:list']({}).then((initial) => live && setView(initial));
    const offDevice = api.on('device:changed', (slot) =>
      setView((v) => {
        const at = v.slots.findIndex((s) => s.port === slot.port);
        const slots = at === -1 ? [...v.slots, slot] : v.slots.map((s, i) => (i === at ? slot : s));
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
  return view;
}
