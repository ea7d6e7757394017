// The OCSP responder over HTTP, checked by OpenSSL: a request OpenSSL builds, sent by GET (base64 in
// the path, RFC 6960 Appendix A.1) and by POST, is answered with a response OpenSSL verifies against
// the CA chain; a certificate of another issuer is "unknown"; bytes that are not a request get
// malformedRequest; other methods and oversized bodies are turned away.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { webcrypto, x509 } from '../../../main/pki/crypto';
import { intakeCsr } from '../../../main/pki/csr-intake';
import { serveOcsp, type OcspServer } from '../../../main/pki/ocsp/ocsp-http';
import { OcspResponder } from '../../../main/pki/ocsp/ocsp-responder';
import type { Station } from '../../../main/station/station';
import { Revocations } from '../../../main/store/revocations';
import { stationWithCa } from '../../helpers/authority';
import { makeCsr } from '../../helpers/csr';
import { openssl } from '../../helpers/openssl';
import { tempDir } from '../../helpers/station';

let station: Station | undefined;
let server: OcspServer | undefined;
afterEach(async () => {
  await server?.close();
  station?.close();
});

async function responderFor() {
  const setup = await stationWithCa();
  station = setup.station;
  const { authority } = setup;
  const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
  const spki = new Uint8Array(await webcrypto.subtle.exportKey('spki', keys.publicKey));
  const certificate = await authority.issueOcspSigner(spki, 1);
  const revocations = new Revocations(station.db, station.audit);
  const responder = new OcspResponder(authority.issuing, { certificate, key: keys.privateKey }, (serial) =>
    revocations.statusOf(serial, authority.fingerprint),
  );
  server = await serveOcsp(responder);
  const dir = tempDir();
  const file = (name: string, text: string | Uint8Array) => (
    fs.writeFileSync(path.join(dir, name), text),
    path.join(dir, name)
  );
  const issued = await authority.issue({
    csr: await intakeCsr(await makeCsr()),
    deviceType: setup.nrf91,
    deviceId: 'dev-ocsp',
    attributes: {},
  });
  return {
    url: server.url,
    chain: file('chain.pem', station.ca.chainPem()),
    issuing: file('issuing.pem', authority.issuing.toString('pem')),
    leaf: file('leaf.pem', issued.certificate.toString('pem')),
    file,
    dir,
  };
}

describe('OCSP responder', () => {
  it('answers GET and POST with a response OpenSSL verifies', async () => {
    const r = await responderFor();
    const request = path.join(r.dir, 'request.der');
    await openssl(['ocsp', '-issuer', r.issuing, '-cert', r.leaf, '-reqout', request, '-no_nonce']);
    const der = fs.readFileSync(request);
    const get = await fetch(`${r.url}${encodeURIComponent(der.toString('base64'))}`);
    const post = await fetch(r.url, {
      method: 'POST',
      body: der,
      headers: { 'content-type': 'application/ocsp-request' },
    });
    for (const reply of [get, post]) {
      expect(reply.status).toBe(200);
      expect(reply.headers.get('content-type')).toBe('application/ocsp-response');
      const file = r.file('response.der', new Uint8Array(await reply.arrayBuffer()));
      const { stdout, stderr } = await openssl([
        'ocsp',
        '-respin',
        file,
        '-issuer',
        r.issuing,
        '-cert',
        r.leaf,
        '-CAfile',
        r.chain,
      ]);
      expect(stderr).toContain('Response verify OK');
      expect(stdout).toContain(`${r.leaf}: good`);
    }
  });

  it('says unknown for a certificate of another issuer, and malformedRequest for garbage', async () => {
    const r = await responderFor();
    const keys = (await webcrypto.subtle.generateKey(
      { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as EcKeyGenParams,
      false,
      ['sign', 'verify'],
    )) as CryptoKeyPair;
    const stranger = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: '01',
      name: 'CN=Another CA',
      keys: keys as never,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    });
    const strangerFile = r.file('stranger.pem', stranger.toString('pem'));
    const { stdout } = await openssl([
      'ocsp',
      '-issuer',
      strangerFile,
      '-cert',
      strangerFile,
      '-url',
      r.url,
      '-noverify',
    ]);
    expect(stdout).toContain(`${strangerFile}: unknown`);

    const garbage = await fetch(r.url, { method: 'POST', body: 'not an OCSP request' });
    const file = r.file('garbage.der', new Uint8Array(await garbage.arrayBuffer()));
    // OpenSSL reports a responder error and exits 1: what it says is the status.
    const said = await openssl(['ocsp', '-respin', file, '-resp_text', '-noverify']).then(
      (r) => r.stdout,
      (e: { stdout: string }) => e.stdout,
    );
    expect(said).toContain('Responder Error: malformedrequest (1)');
    expect((await fetch(r.url, { method: 'PUT', body: 'x' })).status).toBe(405);
    expect((await fetch(r.url, { method: 'POST', body: Buffer.alloc(70 * 1024) })).status).toBe(413);
  });
});
