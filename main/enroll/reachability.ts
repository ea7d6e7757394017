// Can the station reach a service at all? One question per layer — the name, the port, the TLS
// handshake — so a failed connection test says which layer failed, in one sentence: a wrong host
// name is DNS, a firewall is TCP, an untrusted or misnamed server certificate is TLS.
import crypto from 'node:crypto';
import net from 'node:net';
import type tls from 'node:tls';
import { isEnrollerError } from '../../shared/errors';
import { connectionError, tlsOptions, type ClientIdentity, type TlsTrust } from './https-request';
import { networkModules } from './network-modules';

export interface Probe<T = undefined> {
  readonly ok: boolean;
  readonly message: string;
  readonly code?: string;
  readonly found?: T;
}

export interface ServerCertificate {
  readonly subject: string;
  readonly issuer: string;
  readonly sha256: string;
}

/** The URL's port, or its scheme's. */
export function portOf(url: URL): number {
  return Number(url.port || (url.protocol === 'https:' ? 443 : 80));
}

export async function resolveName(url: URL): Promise<Probe<string[]>> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (net.isIP(host)) return { ok: true, message: `${host} is an address; no name to look up.`, found: [host] };
  try {
    const { dns } = await networkModules();
    const addresses = (await dns.lookup(host, { all: true })).map((a) => a.address);
    return { ok: true, message: `${host} is ${addresses.join(', ')}.`, found: addresses };
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'ERROR';
    return { ok: false, code: 'ENROLL_UNREACHABLE', message: `The name ${host} does not resolve (${code}).` };
  }
}

export function connectTcp(url: URL, timeoutMs: number): Promise<Probe> {
  const where = `${url.hostname}:${portOf(url)}`;
  return new Promise((resolve) => {
    const socket = net.connect({ host: url.hostname.replace(/^\[|\]$/g, ''), port: portOf(url) });
    const done = (probe: Probe) => {
      socket.destroy();
      resolve(probe);
    };
    socket.setTimeout(timeoutMs, () =>
      done({ ok: false, code: 'ENROLL_TIMEOUT', message: `Nothing answers at ${where} within ${timeoutMs / 1000} s.` }),
    );
    socket.once('connect', () => done({ ok: true, message: `${where} accepts connections.` }));
    socket.once('error', (error: Error & { code?: string }) =>
      done({
        ok: false,
        code: 'ENROLL_UNREACHABLE',
        message: `Nothing answers at ${where} (${error.code ?? error.message}).`,
      }),
    );
  });
}

/** The TLS handshake with the profile's own trust: the server's chain, or why it is not trusted. */
export async function handshakeTls(
  url: URL,
  trust: TlsTrust | undefined,
  identity: ClientIdentity | undefined,
  timeoutMs: number,
): Promise<Probe<ServerCertificate[]>> {
  const { tls } = await networkModules();
  const options = (await tlsOptions(trust, identity)) as tls.ConnectionOptions;
  return new Promise((resolve) => {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const socket = tls.connect({
      ...options,
      host,
      port: portOf(url),
      ...(net.isIP(host) ? {} : { servername: host }),
    });
    const done = (probe: Probe<ServerCertificate[]>) => {
      socket.destroy();
      resolve(probe);
    };
    socket.setTimeout(timeoutMs, () =>
      done({
        ok: false,
        code: 'ENROLL_TIMEOUT',
        message: `The TLS handshake did not finish within ${timeoutMs / 1000} s.`,
      }),
    );
    socket.once('secureConnect', () => {
      const chain = peerChain(socket.getPeerCertificate(true));
      const server = chain[0];
      done({
        ok: true,
        message: `${socket.getProtocol() ?? 'TLS'} with "${server?.subject ?? 'the server'}", trusted by this profile.`,
        found: chain,
      });
    });
    socket.once('error', (error: Error & { code?: string }) => {
      const coded = connectionError(error, url);
      done({ ok: false, code: isEnrollerError(coded) ? coded.code : 'ENROLL_UNREACHABLE', message: coded.message });
    });
  });
}

function peerChain(leaf: tls.DetailedPeerCertificate): ServerCertificate[] {
  const chain: ServerCertificate[] = [];
  for (let cert: tls.DetailedPeerCertificate | undefined = leaf; cert?.raw;) {
    chain.push({
      subject: distinguished(cert.subject),
      issuer: distinguished(cert.issuer),
      sha256: crypto.createHash('sha256').update(cert.raw).digest('hex'),
    });
    cert = cert.issuerCertificate && cert.issuerCertificate !== cert ? cert.issuerCertificate : undefined;
  }
  return chain;
}

function distinguished(name: tls.Certificate | undefined): string {
  return Object.entries(name ?? {})
    .map(([key, value]) => `${key}=${Array.isArray(value) ? value.join('+') : String(value)}`)
    .join(', ');
}
