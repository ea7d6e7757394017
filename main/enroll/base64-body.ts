// EST bodies are base64 (RFC 7030 §4, RFC 8951 §3): servers wrap at 64 or 76 columns, with LF or
// CRLF, or not at all. Accept every wrapping; send wrapped lines ending in a newline, which
// every server we know accepts.

export function decodeBase64Body(body: Buffer): Uint8Array {
  const text = body.toString('latin1').replace(/[\r\n\t ]+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 === 1) {
    // Some servers send raw DER despite the RFC; take it if it looks like a DER SEQUENCE.
    if (body[0] === 0x30) return new Uint8Array(body);
    throw new Error('not base64');
  }
  return new Uint8Array(Buffer.from(text, 'base64'));
}

export function encodeBase64Body(der: Uint8Array): string {
  return `${Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '')}\n`;
}
