// The shape every contract entry has. Methods are commands (change state) or queries (read it);
// events flow from main to the UI only.
import type { z } from 'zod';

export interface MethodSpec {
  readonly kind: 'command' | 'query';
  readonly summary: string;
  readonly request: z.ZodType;
  readonly response: z.ZodType;
}

export interface EventSpec {
  readonly summary: string;
  readonly payload: z.ZodType;
}
