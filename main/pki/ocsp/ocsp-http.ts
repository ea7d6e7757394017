// OCSP over HTTP (RFC 6960 Appendix A.1): POST with an application/ocsp-request body, or GET with
// the request base64- and URL-encoded in the path. Loopback by default; nothing else is served.
import http from 'node:http';
import { EnrollerError } from '../../../shared/errors';
import type { OcspResponder } from './ocsp-responder';

const MAX_REQUEST_BYTES = 64 * 1024;

export interface OcspServer {
  readonly url: string;
  close(): Promise<void>;
}

export async function serveOcsp(
  responder: OcspResponder,
  options: { host?: string; port?: number; onError?: (error: unknown) => void } = {},
): Promise<OcspServer> {
  const host = options.host ?? '127.0.0.1';
  const server = http.createServer((request, response) => {
    void answer(responder, request, response).catch((error: unknown) => {
      options.onError?.(error);
      if (!response.headersSent) response.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new EnrollerError('OCSP_PORT_IN_USE', `Port ${options.port} on ${host} is taken; choose another (--port).`)
          : error,
      ),
    );
    server.listen(options.port ?? 0, host, resolve);
  });
  const { port } = server.address() as { port: number };
  return {
    url: `http://${host}:${port}/`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function answer(responder: OcspResponder, request: http.IncomingMessage, response: http.ServerResponse) {
  const der = request.method === 'POST' ? await body(request) : request.method === 'GET' ? fromPath(request) : null;
  if (der === undefined) return void response.writeHead(413).end();
  if (der === null) return void response.writeHead(405, { allow: 'GET, POST' }).end();
  const reply = await responder.respond(der);
  response.writeHead(200, { 'content-type': 'application/ocsp-response', 'content-length': reply.length });
  response.end(reply);
}

/** The request body, or undefined when it is larger than any OCSP request. */
async function body(request: http.IncomingMessage): Promise<Uint8Array | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_REQUEST_BYTES) return undefined;
    chunks.push(chunk);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

function fromPath(request: http.IncomingMessage): Uint8Array {
  const encoded = (request.url ?? '/').replace(/^\/+/, '');
  return new Uint8Array(Buffer.from(decodeURIComponent(encoded), 'base64'));
}
