// `enroller ocsp serve [--port N]`: the station CA's OCSP responder (#19). At start the issuing CA
// issues a short-lived OCSP-signing certificate for a key made in memory (on the ledger like every
// certificate); the first stdout line is the responder's URL; it runs until interrupted, and each
// answer reads the ledger at that moment, so a revocation counts from the commit that made it.
import { Command } from 'commander';
import { webcrypto } from '../../pki/crypto';
import { serveOcsp } from '../../pki/ocsp/ocsp-http';
import { OcspResponder } from '../../pki/ocsp/ocsp-responder';
import { Revocations } from '../../store/revocations';
import { unlockedAuthority } from '../authority';
import { withStation } from '../with-station';
import { invocation } from '../invocation';
import { parsePort } from '../numbers';

/** The responder's certificate lives a week; a responder runs for a shift, and starts with a new one. */
const SIGNER_VALID_DAYS = 7;

export function ocspCommand(): Command {
  const ocsp = new Command('ocsp').description("the station CA's OCSP responder (RFC 6960)");
  ocsp.addCommand(
    new Command('serve')
      .description('answer OCSP requests on 127.0.0.1 (GET and POST); the first stdout line is the URL')
      .option('--port <n>', 'TCP port (default: any free one)', parsePort)
      .option('--host <address>', 'address to listen on', '127.0.0.1')
      .option('--passphrase-file <file>', 'read the CA passphrase from this file')
      .action(async (options: { port?: number; host: string; passphraseFile?: string }, command: Command) => {
        await withStation(command, 'configure', async (station, { out, actor, log }) => {
          const authority = await unlockedAuthority(station, options.passphraseFile, actor);
          const algorithm = { name: 'ECDSA', namedCurve: 'P-256' } as const;
          const keys = await webcrypto.subtle.generateKey(algorithm, false, ['sign', 'verify']);
          const spki = new Uint8Array(await webcrypto.subtle.exportKey('spki', keys.publicKey));
          const certificate = await authority.issueOcspSigner(spki, SIGNER_VALID_DAYS);
          const revocations = new Revocations(station.db, station.audit);
          const responder = new OcspResponder(authority.issuing, { certificate, key: keys.privateKey }, (serial) =>
            revocations.statusOf(serial, authority.fingerprint),
          );
          const server = await serveOcsp(responder, {
            host: options.host,
            ...(options.port !== undefined ? { port: options.port } : {}),
            onError: (error) => log.error({ err: error }, 'OCSP request failed'),
          });
          station.audit.append('ocsp.started', certificate.serialNumber, { url: server.url }, actor);
          out.record(
            { status: 'serving', url: server.url, signer: certificate.serialNumber, notAfter: certificate.notAfter },
            server.url,
          );
          await new Promise<void>((resolve) => invocation().onCancel(resolve));
          await server.close();
        });
      }),
  );
  return ocsp;
}
