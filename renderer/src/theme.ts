// Colours that pass WCAG 2.1 AA (≥ 4.5:1 for text) in light and in dark: filled badges and buttons
// use the darkest shade under white text, and "dimmed" text is dark enough to read from the bench.
import { createTheme, type CSSVariablesResolver } from '@mantine/core';

export const theme = createTheme({ primaryShade: { light: 9, dark: 9 }, autoContrast: true });

export const contrastVariables: CSSVariablesResolver = () => ({
  variables: {},
  light: { '--mantine-color-dimmed': 'var(--mantine-color-gray-7)' },
  dark: { '--mantine-color-dimmed': 'var(--mantine-color-dark-1)' },
});
