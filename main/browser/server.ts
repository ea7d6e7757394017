// Browser mode: the contract over a WebSocket on 127.0.0.1, for headless stations and for
// testing the UI in Chromium. A random per-run token and an Origin check keep other local
// programs and web pages out; the URL with the token is printed once, to the operator.
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { CONTRACT_VERSION } from '../../shared/contract';
import { ClientMessage, type ServerMessage } from '../../shared/wire';
import type { Dispatch } from '../api/dispatch';
import type { EventHub } from '../api/events';
import { forSource, type Logger } from '../log';
import { serveStatic } from './static-files';

export interface BrowserServerOptions {
  readonly dispatch: Dispatch;
  readonly events: EventHub;
  readonly rendererDir: string;
  readonly log: Logger;
  /** 0 picks a free port. */
  readonly port?: number;
}

export interface BrowserServer {
  /** http://127.0.0.1:PORT/#token=… — open this in a browser. */
  readonly url: string;
  readonly origin: string;
  readonly port: number;
  close(): Promise<void>;
}

const HOST = '127.0.0.1';
const MAX_MESSAGE_BYTES = 1024 * 1024;

export async function startBrowserServer(options: BrowserServerOptions): Promise<BrowserServer> {
  const log = forSource(options.log, 'browser-server');
  const token = crypto.randomBytes(32).toString('base64url');
  let origin = '';

  const server = http.createServer((req, res) => serveStatic(options.rendererDir, origin, req, res));
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });

  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', origin);
    const allowed =
      url.pathname === '/api' &&
      req.headers.origin === origin &&
      tokensEqual(url.searchParams.get('token') ?? '', token);
    if (!allowed) {
      log.warn({ path: url.pathname, origin: req.headers.origin }, 'refused a WebSocket connection');
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => attach(ws));
  });

  function attach(ws: WebSocket): void {
    const session = crypto.randomUUID();
    const send = (message: ServerMessage) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
    };
    const unsubscribe = options.events.subscribe((event, payload) => send({ type: 'event', event, payload }));
    ws.on('close', unsubscribe);
    ws.on('message', async (data) => {
      let message: ClientMessage;
      try {
        message = ClientMessage.parse(JSON.parse(data.toString()));
      } catch {
        // No id to answer to: the peer is not speaking our protocol.
        ws.close(1008, 'invalid message');
        return;
      }
      const result = await options.dispatch(message.method, message.request, { transport: 'websocket', session });
      send({ type: 'result', id: message.id, result });
    });
    send({ type: 'hello', contractVersion: CONTRACT_VERSION });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, HOST, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  origin = `http://${HOST}:${port}`;
  log.info({ port }, 'browser mode listening on loopback');

  return {
    url: `${origin}/#token=${token}`,
    origin,
    port,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function tokensEqual(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}
