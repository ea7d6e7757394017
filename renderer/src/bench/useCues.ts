// Plays a cue when a device finishes: pass when it turns verified, fail when it fails. Only
// changes count, so loading a bench that is already finished stays quiet.
import { useEffect, useRef } from 'react';
import type { SlotState } from '../../../shared/contract';
import { playCue } from './cues';

export function useCues(slots: readonly SlotState[]): void {
  const seen = useRef<Map<string, SlotState['status']> | null>(null);
  useEffect(() => {
    const before = seen.current;
    const now = new Map(slots.map((s) => [s.port, s.status]));
    seen.current = now;
    if (!before) return;
    let cue: 'pass' | 'fail' | undefined;
    for (const [port, status] of now) {
      if (before.get(port) === status) continue;
      if (status === 'failed') cue = 'fail';
      else if (status === 'verified' && cue === undefined) cue = 'pass';
    }
    if (cue) playCue(cue);
  }, [slots]);
}
