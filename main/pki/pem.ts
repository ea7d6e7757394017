// PEM text that may hold several certificates (a chain file, a PKCS#7-less export).
import type { x509 } from './crypto';
import { certificateOf } from './parsed-der';

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

export function pemCertificateBlocks(text: string): string[] {
  return text.match(CERTIFICATE_BLOCK) ?? [];
}

/**
 * Every certificate in the text, in order. Parsed once per distinct certificate (parsed-der.ts):
 * the same chain is read for every certificate of a bulk run.
 */
export function certificatesIn(pem: string): x509.X509Certificate[] {
  return pemCertificateBlocks(pem).map((block) => certificateOf(derOfBlock(block)));
}

function derOfBlock(block: string): Uint8Array {
  return new Uint8Array(Buffer.from(block.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64'));
}

/** DER as one PEM block: base64 in 64-column lines between its BEGIN and END armour. */
export function pemBlock(label: string, der: Uint8Array): string {
  const lines =
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
