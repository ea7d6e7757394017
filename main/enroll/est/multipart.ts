// Minimal multipart/mixed reader for EST /serverkeygen (RFC 7030 §4.4.2): two parts, each with
// its own Content-Type, bodies in base64.
import { EnrollerError } from '../../../shared/errors';
import type { HttpResponse } from '../https-request';

export interface Part {
  readonly contentType: string;
  readonly body: Buffer;
}

export function parseMultipart(response: HttpResponse): Part[] {
  const type = String(response.headers['content-type'] ?? '');
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (!/^multipart\/mixed/i.test(type) || !boundary)
    throw new EnrollerError('ENROLL_BAD_RESPONSE', 'The server-keygen answer is not multipart/mixed.');
  const text = response.body.toString('latin1');
  return text
    .split(`--${boundary}`)
    .slice(1)
    .filter((chunk) => !chunk.startsWith('--'))
    .map((chunk) => {
      const split = chunk.search(/\r?\n\r?\n/);
      const head = chunk.slice(0, split);
      const body = chunk.slice(split).trim();
      return { contentType: /content-type:\s*([^\r\n]+)/i.exec(head)?.[1] ?? '', body: Buffer.from(body, 'latin1') };
    });
}
