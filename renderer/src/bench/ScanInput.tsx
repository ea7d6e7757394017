// Scanner-first: a barcode scanner types the label and presses Enter. An IMEI (15 digits) is what
// the next device must report before anything is written to it; `SN:…` (or `S/N …`) is its serial
// number; anything else becomes its pet name. It goes to the slot that failed an IMEI check
// first, else to the next unlabelled slot. A scan that cannot go anywhere is refused out loud (a
// cue and a sentence), never dropped.
import { Text, TextInput } from '@mantine/core';
import { useState, type KeyboardEvent, type Ref } from 'react';
import type { BatchState, EnrollerApi, SlotState } from '../../../shared/contract';
import { problemOf } from '../lib/errors';
import { playCue } from './cues';

function target(slots: readonly SlotState[]): SlotState | undefined {
  return (
    slots.find((s) => s.status === 'failed' && s.code === 'DEVICE_IDENTITY_MISMATCH') ??
    slots.find(
      (s) =>
        (s.status === 'queued' || s.status === 'failed' || s.status === 'cancelled') &&
        !s.expectedImei &&
        !s.serial &&
        !s.petName,
    )
  );
}

/** Why a scan has nowhere to go, in words that say what to do. */
function nowhere(batch: BatchState | null): string {
  if (batch?.status === 'finished' || batch?.status === 'cancelled')
    return 'This batch is over: press New batch (Alt+N) to scan labels for the next one.';
  return 'Every slot already has a label: plug in another device, or clear a label first.';
}

interface Props {
  readonly api: EnrollerApi;
  readonly slots: readonly SlotState[];
  readonly batch: BatchState | null;
  readonly ref?: Ref<HTMLInputElement>;
}

export function ScanInput({ api, slots, batch, ref }: Props) {
  const [value, setValue] = useState('');
  const [note, setNote] = useState<{ text: string; error: boolean } | null>(null);
  const refuse = (text: string) => {
    playCue('refused');
    setNote({ text, error: true });
  };

  const submit = async () => {
    const scan = value.trim();
    setValue('');
    if (!scan) return;
    const slot = target(slots);
    if (!slot) return refuse(nowhere(batch));
    const imei = /^\d{15}$/.test(scan) ? scan : undefined;
    const serial = /^(?:SN:|S\/N:?)\s*(\S+)$/i.exec(scan)?.[1];
    try {
      await api['device:label']({ port: slot.port, ...(imei ? { imei } : serial ? { serial } : { petName: scan }) });
      setNote({
        text: `${slot.port} ← ${imei ? `IMEI ${imei}` : serial ? `serial ${serial}` : `pet name ${scan}`}`,
        error: false,
      });
    } catch (e) {
      refuse(problemOf(e).message);
    }
  };

  return (
    <div>
      <TextInput
        ref={ref}
        label="Scan a label"
        description="IMEI (checked against the device before writing), SN:serial, or pet name; goes to the next slot"
        placeholder="scan or type, then Enter"
        value={value}
        onChange={(e) => setValue(e.currentTarget.value)}
        onKeyDown={(e: KeyboardEvent<HTMLInputElement>) => {
          if (e.key === 'Enter') void submit();
        }}
        autoFocus
        w={360}
        data-testid="scan-input"
      />
      {note && (
        <Text size="sm" c={note.error ? 'red' : 'teal'} role={note.error ? 'alert' : 'status'} data-testid="scan-note">
          {note.text}
        </Text>
      )}
    </div>
  );
}
