// Sounds a technician hears without looking at the screen: a rising pair for a pass, a low buzz
// for a failure, a short double blip for a refused scan. Web Audio tones, no sound files; volume
// and mute live in Settings (this window's local storage).
export type Cue = 'pass' | 'fail' | 'refused';

export interface SoundSettings {
  /** 0 to 1. */
  readonly volume: number;
  readonly muted: boolean;
}

const KEY = 'enroller.sound';
const DEFAULTS: SoundSettings = { volume: 0.5, muted: false };
/** A bench of many devices finishing together is one cue, not a hundred. */
const MIN_GAP_MS = 250;

const TONES: Record<Cue, ReadonlyArray<{ hz: number; at: number; ms: number; wave: OscillatorType }>> = {
  pass: [
    { hz: 660, at: 0, ms: 110, wave: 'sine' },
    { hz: 990, at: 0.12, ms: 160, wave: 'sine' },
  ],
  fail: [{ hz: 180, at: 0, ms: 420, wave: 'square' }],
  refused: [
    { hz: 440, at: 0, ms: 70, wave: 'triangle' },
    { hz: 440, at: 0.11, ms: 70, wave: 'triangle' },
  ],
};

export function soundSettings(): SoundSettings {
  try {
    return { ...DEFAULTS, ...(JSON.parse(localStorage.getItem(KEY) ?? '{}') as Partial<SoundSettings>) };
  } catch {
    return DEFAULTS;
  }
}

export function saveSoundSettings(settings: SoundSettings): void {
  localStorage.setItem(KEY, JSON.stringify(settings));
}

let context: AudioContext | undefined;
let lastAt = 0;

export function playCue(cue: Cue): void {
  // What was meant to be heard, for tests and for anyone checking why the bench beeped.
  document.body.dataset.lastCue = cue;
  const { volume, muted } = soundSettings();
  const now = performance.now();
  if (muted || volume <= 0 || now - lastAt < MIN_GAP_MS || typeof AudioContext === 'undefined') return;
  lastAt = now;
  context ??= new AudioContext();
  const start = context.currentTime;
  for (const tone of TONES[cue]) {
    const oscillator = context.createOscillator();
    const gain = context.createGain();
    oscillator.type = tone.wave;
    oscillator.frequency.value = tone.hz;
    gain.gain.setValueAtTime(volume * 0.3, start + tone.at);
    gain.gain.exponentialRampToValueAtTime(0.001, start + tone.at + tone.ms / 1000);
    oscillator.connect(gain).connect(context.destination);
    oscillator.start(start + tone.at);
    oscillator.stop(start + tone.at + tone.ms / 1000);
  }
}
