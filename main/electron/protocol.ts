// The renderer is served from app://station/, a privileged custom scheme, not file://:
// file:// pages share one origin with every local file and cannot carry a CSP header.
import fs from 'node:fs/promises';
import path from 'node:path';
import { net, protocol } from 'electron';
import { contentSecurityPolicy } from '../browser/static-files';

export const APP_SCHEME = 'app';
export const APP_ORIGIN = `${APP_SCHEME}://station`;

/** Must run before the app is ready. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
  ]);
}

export function serveRenderer(rendererDir: string): void {
  const root = path.resolve(rendererDir);
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    if (url.origin !== APP_ORIGIN) return new Response('not found', { status: 404 });
    const file = path.resolve(root, url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname).slice(1));
    if (!file.startsWith(root + path.sep)) return new Response('not found', { status: 404 });
    try {
      await fs.access(file);
    } catch {
      return new Response('not found', { status: 404 });
    }
    const response = await net.fetch(`file://${file}`);
    const headers = new Headers(response.headers);
    headers.set(
      'Content-Security-Policy',
      contentSecurityPolicy(APP_ORIGIN).replace(/connect-src [^;]+/, "connect-src 'self'"),
    );
    headers.set('X-Content-Type-Options', 'nosniff');
    return new Response(response.body, { status: response.status, headers });
  });
}
