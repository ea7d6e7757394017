// PEM text that may hold several certificates (a chain file, a PKCS#7-less export).
import { x509 } from './crypto';

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

export function pemCertificateBlocks(text: string): string[] {
  return text.match(CERTIFICATE_BLOCK) ?? [];
}

/** Every certificate in the text, in order. */
export function certificatesIn(pem: string): x509.X509Certificate[] {
  return pemCertificateBlocks(pem).map((block) => new x509.X509Certificate(block));
}

/** DER as one PEM block: base64 in 64-column lines between its BEGIN and END armour. */
export function pemBlock(label: string, der: Uint8Array): string {
  const lines =
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
