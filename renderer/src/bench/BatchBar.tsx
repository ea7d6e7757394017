// The batch header: what to run (device type, profile), the controls — each with a keyboard
// shortcut that works from the scan field — and the counters. Every action hands the focus back
// to the scan field, so the next scan is never lost. Cancel asks first.
import { Alert, Button, Group, Select, Stack } from '@mantine/core';
import { useHotkeys } from '@mantine/hooks';
import { useEffect, useState } from 'react';
import type { BatchState, EnrollerApi, SlotState } from '../../../shared/contract';
import { problemOf } from '../lib/errors';
import { BatchCounters } from './BatchCounters';

interface Props {
  readonly api: EnrollerApi;
  readonly batch: BatchState | null;
  /** Back to the scan field after every action. */
  readonly refocus: () => void;
  /** The bench as "New batch" left it: no batch, every slot ready. */
  readonly onNewBatch: (view: { batch: BatchState | null; slots: SlotState[] }) => void;
}

export function BatchBar({ api, batch, refocus, onNewBatch }: Props) {
  const [types, setTypes] = useState<string[]>([]);
  const [profiles, setProfiles] = useState<string[]>([]);
  const [deviceType, setDeviceType] = useState<string | null>('nrf91-default');
  const [profile, setProfile] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);

  useEffect(() => {
    void api['device-type:list']({}).then((list) =>
      setTypes(list.filter((t) => t.device !== 'csr-file').map((t) => t.name)),
    );
    void api['profile:list']({}).then((list) => setProfiles(list.map((p) => p.name)));
  }, [api]);

  const run = (action: () => Promise<unknown>) => () => {
    setError(null);
    setConfirming(false);
    action()
      .catch((e: unknown) => setError(problemOf(e).message))
      .finally(refocus);
  };
  const status = batch?.status;
  const active = status === 'running' || status === 'paused' || status === 'cancelling';
  const failed = batch ? batch.counts.failed + batch.counts.cancelled : 0;
  const start = run(() =>
    api['batch:start']({ deviceType: deviceType ?? 'nrf91-default', ...(profile ? { profile } : {}) }),
  );
  const pauseOrResume = run(() => (status === 'paused' ? api['batch:resume']({}) : api['batch:pause']({})));
  const retry = run(() => api['batch:retry']({}));
  const fresh = run(() => api['batch:clear']({}).then(onNewBatch));
  // Alt+letter works while the scan field has the focus (a scanner never types Alt).
  useHotkeys(
    [
      ['alt+s', () => !active && deviceType && start()],
      ['alt+p', () => active && status !== 'cancelling' && pauseOrResume()],
      ['alt+r', () => failed > 0 && retry()],
      ['alt+n', () => batch && !active && fresh()],
    ],
    [],
  );

  return (
    <Stack gap="sm">
      <Group justify="space-between" align="flex-end" wrap="wrap" gap="sm">
        <Group align="flex-end" gap="sm">
          <Select
            label="Device type"
            data={types}
            value={deviceType}
            onChange={setDeviceType}
            disabled={active}
            w={200}
            allowDeselect={false}
          />
          <Select
            label="Profile"
            placeholder="device type's"
            data={profiles}
            value={profile}
            onChange={setProfile}
            disabled={active}
            w={160}
            clearable
          />
          {!active && (
            <Button onClick={start} disabled={!deviceType} aria-keyshortcuts="Alt+S" title="Alt+S">
              Start batch
            </Button>
          )}
          {active && status !== 'cancelling' && (
            <Button variant="default" onClick={pauseOrResume} aria-keyshortcuts="Alt+P" title="Alt+P">
              {status === 'paused' ? 'Resume' : 'Pause'}
            </Button>
          )}
          {active && !confirming && (
            <Button color="red" variant="light" onClick={() => setConfirming(true)}>
              Cancel
            </Button>
          )}
          {active && confirming && (
            <Group gap={6} role="group" aria-label="Cancel the batch?">
              <Button color="red" onClick={run(() => api['batch:cancel']({}))}>
                Yes, stop every device
              </Button>
              <Button variant="default" onClick={() => (setConfirming(false), refocus())}>
                Keep going
              </Button>
            </Group>
          )}
          {failed > 0 && (
            <Button variant="light" onClick={retry} aria-keyshortcuts="Alt+R" title="Alt+R">
              Retry failed ({failed})
            </Button>
          )}
          {batch && !active && (
            <Button variant="default" onClick={fresh} aria-keyshortcuts="Alt+N" title="Alt+N: clears the labels">
              New batch
            </Button>
          )}
          <Button variant="subtle" onClick={toggleFullScreen} aria-label="Full screen">
            ⛶ Full screen
          </Button>
        </Group>
        {batch && <BatchCounters batch={batch} />}
      </Group>
      {error && (
        <Alert color="red" role="alert">
          {error}
        </Alert>
      )}
    </Stack>
  );
}

/** Kiosk view: the bench fills the screen (Esc leaves it). */
function toggleFullScreen(): void {
  if (document.fullscreenElement) void document.exitFullscreen();
  else void document.documentElement.requestFullscreen?.().catch(() => undefined);
}
