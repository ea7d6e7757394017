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

/**
 * DER as one PEM block: base64 in 64-column lines between its BEGIN and END armour. Encoded from
 * the bytes where they lie and cut by slicing (a bulk run makes one per certificate).
 */
export function pemBlock(label: string, der: Uint8Array): string {
  const base64 = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
  const lines: string[] = [];
  for (let at = 0; at < base64.length; at += 64) lines.push(base64.slice(at, at + 64));
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/**
 * A certificate's PEM exactly as the X.509 library writes it (`toString('pem')`: no newline after
 * the END line), from its bytes: the library's base64 goes a character at a time, and a station
 * writes one for every device (#18).
 */
export function certificatePem(certificate: x509.X509Certificate): string {
  return pemBlock('CERTIFICATE', new Uint8Array(certificate.rawData)).slice(0, -1);
}
