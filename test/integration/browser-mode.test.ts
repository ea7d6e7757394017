// Browser mode over the real CLI: loopback only, a token and our Origin required, the contract
// answered over the socket exactly as over IPC.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ServerMessage } from '../../shared/wire';
import { serve, type Served } from '../helpers/cli';
import { tempDir } from '../helpers/station';

let served: Served;
const dataDir = tempDir();
beforeAll(async () => {
  served = await serve(dataDir);
});
afterAll(() => served.stop());

function open(
  token: string,
  origin: string | undefined,
): Promise<{ socket: WebSocket; first: ServerMessage } | { refused: number }> {
  const headers = origin === undefined ? {} : { Origin: origin };
  const socket = new WebSocket(`${served.origin.replace('http', 'ws')}/api?token=${encodeURIComponent(token)}`, {
    headers,
  });
  return new Promise((resolve) => {
    socket.once('unexpected-response', (_req, res) => resolve({ refused: res.statusCode ?? 0 }));
    socket.once('error', () => resolve({ refused: -1 }));
    socket.once('message', (data) => resolve({ socket, first: ServerMessage.parse(JSON.parse(data.toString())) }));
  });
}

function call(socket: WebSocket, id: number, method: string, request: unknown): Promise<ServerMessage> {
  return new Promise((resolve) => {
    const onMessage = (data: WebSocket.RawData) => {
      const message = ServerMessage.parse(JSON.parse(data.toString()));
      if (message.type === 'result' && message.id === id) {
        socket.off('message', onMessage);
        resolve(message);
      }
    };
    socket.on('message', onMessage);
    socket.send(JSON.stringify({ type: 'call', id, method, request }));
  });
}

describe('enroller serve (browser mode)', () => {
  it('prints a loopback URL with a long random token on its first line', () => {
    expect(served.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(served.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('serves the built renderer with a strict CSP', async () => {
    const response = await fetch(`${served.origin}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await response.text()).toContain('<div id="root">');
    expect((await fetch(`${served.origin}/%2e%2e/package.json`)).status).toBe(404);
  });

  it('refuses a wrong token, a missing token, a foreign Origin and no Origin', async () => {
    expect(await open('wrong', served.origin)).toEqual({ refused: 403 });
    expect(await open('', served.origin)).toEqual({ refused: 403 });
    expect(await open(served.token, 'http://evil.example')).toEqual({ refused: 403 });
    expect(await open(served.token, undefined)).toEqual({ refused: 403 });
  });

  it('greets with the contract version and answers station:info; bad payloads get coded errors', async () => {
    const opened = await open(served.token, served.origin);
    if (!('socket' in opened)) throw new Error(`refused: ${JSON.stringify(opened)}`);
    expect(opened.first).toEqual({ type: 'hello', contractVersion: 1 });
    const info = await call(opened.socket, 1, 'station:info', {});
    expect(info).toMatchObject({ type: 'result', id: 1, result: { ok: true, value: { dataDir, mode: 'browser' } } });
    const bad = await call(opened.socket, 2, 'station:info', { nope: true });
    expect(bad).toMatchObject({ result: { ok: false, error: { code: 'CONTRACT_INVALID_REQUEST' } } });
    const again = await call(opened.socket, 3, 'station:info', {});
    expect(again).toMatchObject({ result: { ok: true } });
    opened.socket.close();
  });

  it('drops a peer that does not speak the protocol, and keeps serving others', async () => {
    const opened = await open(served.token, served.origin);
    if (!('socket' in opened)) throw new Error('refused');
    const closed = new Promise<number>((resolve) => opened.socket.once('close', (code) => resolve(code)));
    opened.socket.send('this is not json');
    expect(await closed).toBe(1008);
    const next = await open(served.token, served.origin);
    expect('socket' in next).toBe(true);
    if ('socket' in next) next.socket.close();
  });
});
