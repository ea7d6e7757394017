// The flow of one device in the technician's words.
import type { SlotState } from '../../../shared/contract';

const ORDER: readonly SlotState['step'][] = [
  'detected',
  'identified',
  'approved',
  'csr',
  'enrolled',
  'written',
  'verified',
  'done',
];

const WORKING: Record<SlotState['step'], string> = {
  detected: 'Waiting to start',
  identified: 'Reading the device identity',
  approved: 'Recording the approval',
  csr: 'Device is generating its key',
  enrolled: 'Getting the certificate',
  written: 'Writing certificates to the device',
  verified: 'Reading them back to check',
  done: 'Finished',
};

export function stepLabel(slot: SlotState): string {
  if (slot.status === 'failed') return `Stopped at: ${WORKING[slot.step].toLowerCase()}`;
  if (slot.status === 'verified') return 'Enrolled and verified';
  return WORKING[slot.step];
}

export function stepProgress(slot: SlotState): number {
  if (slot.status === 'verified') return 100;
  return Math.round((ORDER.indexOf(slot.step) / (ORDER.length - 1)) * 100);
}
