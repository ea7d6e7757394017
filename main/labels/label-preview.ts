// The barcode of a label as a PNG, for the on-screen preview. White background and a quiet zone:
// without them a reader (and Debian's zbarimg) cannot find a transparent, borderless code.
import bwipjs from 'bwip-js/node';
import type { LabelSpec } from './label-template';

export async function barcodePng(spec: LabelSpec, text: string): Promise<Buffer> {
  return bwipjs.toBuffer({
    bcid: spec.barcode === 'qr' ? 'qrcode' : 'datamatrix',
    text,
    scale: 4,
    backgroundcolor: 'FFFFFF',
    padding: 10,
  });
}
