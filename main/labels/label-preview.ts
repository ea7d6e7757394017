// The barcode of a label as a PNG, for the on-screen preview. White background and a quiet zone:
// without them a reader (and Debian's zbarimg) cannot find a transparent, borderless code.
import type { LabelSpec } from './label-template';

export async function barcodePng(spec: LabelSpec, text: string): Promise<Buffer> {
  // Loaded when a preview is first asked for: 1.4 MB of barcode code that no batch and no CLI
  // command needs, and that every start of the station used to compile (about 30 ms here, #18).
  const { default: bwipjs } = await import('bwip-js/node');
  return bwipjs.toBuffer({
    bcid: spec.barcode === 'qr' ? 'qrcode' : 'datamatrix',
    text,
    scale: 4,
    backgroundcolor: 'FFFFFF',
    padding: 10,
  });
}
