// Plays a cue when a device finishes: pass when it turns verified, fail when it fails. Only
// changes count, so loading a bench that is already finished stays quiet. The bench keeps every
// unchanged slot's identity, so finding what changed is a pointer comparison per slot, cheap on
// a bench of 10,000.
import { useEffect, useRef } from 'react';
import type { SlotState } from '../../../shared/contract';
import { playCue } from './cues';

export function useCues(slots: readonly SlotState[]): void {
  const previous = useRef<readonly SlotState[] | null>(null);
  useEffect(() => {
    const before = previous.current;
    previous.current = slots;
    if (!before) return;
    const was = before.length === slots.length ? undefined : new Map(before.map((s) => [s.port, s.status]));
    let cue: 'pass' | 'fail' | undefined;
    slots.forEach((slot, i) => {
      if (slot === before[i]) return;
      const status = was ? was.get(slot.port) : before[i]?.status;
      if (status === slot.status) return;
      if (slot.status === 'failed') cue = 'fail';
      else if (slot.status === 'verified') cue ??= 'pass';
    });
    if (cue) playCue(cue);
  }, [slots]);
}
