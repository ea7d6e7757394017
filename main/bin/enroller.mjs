#!/usr/bin/env node
// `npx enroller …` from a checkout: runs the TypeScript CLI through tsx, no build step needed.
import { register } from 'tsx/esm/api';

register();
await import('../cli.ts');
