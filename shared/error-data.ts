// The schema of an error crossing the contract. Apart from errors.ts so that code which only throws
// (the CLI's fast paths, #18) does not load zod.
import { z } from 'zod';
import { errorCodes } from './errors';

export const ErrorCode = z.enum(errorCodes);

export const ErrorData = z.object({
  code: ErrorCode,
  message: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
});
