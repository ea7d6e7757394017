// Before any batch: the station needs its CA created (first run) or unlocked (every start). One
// passphrase, typed here, kept by main for this session only.
import { Alert, Button, Card, PasswordInput, Stack, Text, Title } from '@mantine/core';
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import type { CaStatus, EnrollerApi } from '../../../shared/contract';
import { problemOf } from '../lib/errors';

export function CaGate({
  api,
  status,
  onReady,
}: {
  api: EnrollerApi;
  status: CaStatus;
  onReady: (status: CaStatus) => void;
}): ReactNode {
  const creating = !status.initialized;
  const [passphrase, setPassphrase] = useState('');
  const [confirm, setConfirm] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [remembered, setRemembered] = useState(false);
  useEffect(() => {
    if (creating) return;
    void api['keychain:status']({}).then((k) => setRemembered(k.available && k.remembered));
  }, [api, creating]);

  const unlockFromKeychain = async () => {
    setError(null);
    setBusy(true);
    try {
      onReady(await api['keychain:unlock']({}));
    } catch (e) {
      setError(problemOf(e).message);
    } finally {
      setBusy(false);
    }
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    if (passphrase.length < 8) return setError('The passphrase needs at least 8 characters.');
    if (creating && passphrase !== confirm) return setError('The two passphrases differ.');
    setBusy(true);
    try {
      onReady(creating ? await api['ca:init']({ passphrase }) : await api['station:unlock']({ passphrase }));
    } catch (e) {
      setError(problemOf(e).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card
      withBorder
      maw={460}
      padding="lg"
      component="form"
      onSubmit={submit}
      aria-label={creating ? 'Create the station CA' : 'Unlock the station'}
    >
      <Stack>
        <Title order={2} size="h3">
          {creating ? 'Create the station CA' : 'Unlock the station'}
        </Title>
        <Text size="sm" c="dimmed">
          {creating
            ? 'The station signs device certificates with its own CA when no service is configured. Choose a ' +
              'passphrase (8 characters or more); it encrypts the CA keys and is never stored.'
            : 'Type the station passphrase to unlock the CA for this session.'}
        </Text>
        <PasswordInput
          label="Passphrase"
          value={passphrase}
          onChange={(e) => setPassphrase(e.currentTarget.value)}
          autoFocus
          data-autofocus
        />
        {creating && (
          <PasswordInput label="Passphrase again" value={confirm} onChange={(e) => setConfirm(e.currentTarget.value)} />
        )}
        {error && (
          <Alert color="red" role="alert">
            {error}
          </Alert>
        )}
        <Button type="submit" loading={busy}>
          {creating ? 'Create CA' : 'Unlock'}
        </Button>
        {remembered && (
          <Button variant="light" onClick={() => void unlockFromKeychain()} loading={busy}>
            Unlock with the OS keychain
          </Button>
        )}
      </Stack>
    </Card>
  );
}
