// Labels: the station's printer, a device type's label as it will print (preview), and printing
// one again (a torn label, a test print).
import { z } from 'zod';
import type { MethodSpec } from './define';

export const PrinterSetting = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('tcp'),
      host: z.string().min(1).max(253, 'a host name or IP address'),
      port: z.number().int().min(1).max(65535).default(9100),
    })
    .strict(),
  z
    .object({ kind: z.literal('cups'), queue: z.string().regex(/^[A-Za-z0-9._-]{1,127}$/, 'a CUPS queue name') })
    .strict(),
]);
export type PrinterSetting = z.infer<typeof PrinterSetting>;

export const LabelPreview = z.object({
  /** What the barcode carries. */
  code: z.string(),
  zpl: z.string(),
  /** The barcode as a PNG, base64. */
  png: z.string(),
  /** The words on the label. */
  lines: z.array(z.string()),
});
export type LabelPreview = z.infer<typeof LabelPreview>;

export const labelMethods = {
  'printer:get': {
    kind: 'query',
    access: 'read',
    summary: 'The label printer this station prints to, if any.',
    request: z.object({}).strict(),
    response: z.object({ printer: PrinterSetting.nullable() }),
  },
  'printer:set': {
    kind: 'command',
    access: 'configure',
    summary: 'Set (or clear) the label printer: a network printer on TCP 9100, or a CUPS queue.',
    request: z.object({ printer: PrinterSetting.nullable() }).strict(),
    response: z.object({ printer: PrinterSetting.nullable() }),
  },
  'label:preview': {
    kind: 'query',
    access: 'read',
    summary: "A device type's label for a device (or sample values): its barcode as an image, its words, its ZPL.",
    request: z.object({ deviceType: z.string().min(1), deviceId: z.string().min(1).optional() }).strict(),
    response: LabelPreview,
  },
  'label:print': {
    kind: 'command',
    access: 'operate',
    summary: "Print a device's label again (or a sample one) on the station's printer.",
    request: z.object({ deviceType: z.string().min(1), deviceId: z.string().min(1).optional() }).strict(),
    response: z.object({ printed: z.boolean() }),
  },
} as const satisfies Record<string, MethodSpec>;
