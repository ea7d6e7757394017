// `--sim-fault SLOT:FAULT:COMMAND`: a fault for a simulated modem's next command starting with
// COMMAND, to show (or train on) what a hiccup looks like on the bench. Slots count from 1.
import { FAULTS, type Fault } from './simulator';

export interface FaultSpec {
  /** Index into the simulated modems (0-based). */
  readonly slot: number;
  readonly fault: Fault;
  readonly when: RegExp;
}

export function parseFaultSpec(spec: string): FaultSpec {
  const [slot, fault, command] = spec.split(':');
  const index = Number(slot) - 1;
  if (!Number.isInteger(index) || index < 0 || !FAULTS.includes(fault as Fault) || !command) {
    throw new Error(`not SLOT:FAULT:COMMAND (e.g. 2:drop-reply:AT+CGSN), FAULT one of ${FAULTS.join(', ')}: ${spec}`);
  }
  const escaped = command.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return { slot: index, fault: fault as Fault, when: new RegExp(`^${escaped}`, 'i') };
}
