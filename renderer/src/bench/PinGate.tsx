// Once the station has a supervisor, every window signs in with a PIN (a barcode badge scanner
// that types digits and Enter works too).
import { Alert, Button, Card, PasswordInput, Stack, Title } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import type { EnrollerApi, Session } from '../../../shared/contract';
import { problemOf } from '../lib/errors';

export function PinGate({ api, onSignedIn }: { api: EnrollerApi; onSignedIn: (session: Session) => void }) {
  const [pin, setPin] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    try {
      onSignedIn(await api['session:login']({ pin }));
    } catch (e) {
      setError(problemOf(e).message);
      setPin('');
    }
  };
  return (
    <Card withBorder maw={360} padding="lg" component="form" onSubmit={submit} aria-label="Sign in">
      <Stack>
        <Title order={2} size="h3">
          Sign in
        </Title>
        <PasswordInput
          label="PIN"
          value={pin}
          onChange={(e) => setPin(e.currentTarget.value.replace(/\D/g, ''))}
          inputMode="numeric"
          autoFocus
          data-autofocus
        />
        {error && (
          <Alert color="red" role="alert">
            {error}
          </Alert>
        )}
        <Button type="submit">Sign in</Button>
      </Stack>
    </Card>
  );
}
