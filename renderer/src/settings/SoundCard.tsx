// Sounds for pass, fail and a refused scan: volume and mute for this window, with a test button.
import { Button, Card, Group, Slider, Stack, Switch, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { playCue, saveSoundSettings, soundSettings, type SoundSettings } from '../bench/cues';

export function SoundCard() {
  const [settings, setSettings] = useState<SoundSettings>(soundSettings);
  const change = (next: SoundSettings) => {
    setSettings(next);
    saveSoundSettings(next);
  };
  return (
    <Card withBorder data-testid="sound-settings">
      <Stack gap="xs">
        <Title order={2} size="h4">
          Sounds
        </Title>
        <Text size="sm" c="dimmed">
          A rising pair for a device done, a low buzz for a failure, a double blip for a refused scan.
        </Text>
        <Group align="center">
          <Switch
            label="Mute"
            checked={settings.muted}
            onChange={(e) => change({ ...settings, muted: e.currentTarget.checked })}
          />
          <Slider
            thumbLabel="Volume"
            w={220}
            min={0}
            max={100}
            value={Math.round(settings.volume * 100)}
            onChange={(v) => change({ ...settings, volume: v / 100 })}
            disabled={settings.muted}
          />
          <Button variant="default" onClick={() => playCue('pass')}>
            Test sound
          </Button>
        </Group>
      </Stack>
    </Card>
  );
}
