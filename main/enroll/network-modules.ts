// Node's HTTP, TLS and DNS modules, loaded when the station first talks to a service: a station
// that issues from its own CA never loads them, and one that enrolls over EST or SCEP loads them
// while its first device makes its key, not before its first byte (~5 ms of every start, #18).
import type httpModule from 'node:http';
import type httpsModule from 'node:https';
import type tlsModule from 'node:tls';
import type dnsModule from 'node:dns/promises';

export interface NetworkModules {
  readonly http: typeof httpModule;
  readonly https: typeof httpsModule;
  readonly tls: typeof tlsModule;
  readonly dns: typeof dnsModule;
}

let loaded: Promise<NetworkModules> | undefined;

export function networkModules(): Promise<NetworkModules> {
  loaded ??= Promise.all([
    import('node:http'),
    import('node:https'),
    import('node:tls'),
    import('node:dns/promises'),
  ]).then(([http, https, tls, dns]) => ({
    http: http.default,
    https: https.default,
    tls: tls.default,
    dns: dns.default,
  }));
  return loaded;
}
