// `enroller ca …`: the embedded CA (DESIGN.md CLI contract).
import fs from 'node:fs';
import { Command, Option } from 'commander';
import { AsnConvert } from '@peculiar/asn1-schema';
import * as asn1X509 from '@peculiar/asn1-x509';
import { EnrollerError } from '../../../shared/errors';
import type { x509 } from '../../pki/crypto';
import { pemBlock } from '../../pki/pem';
import { parsePkcs11Uri } from '../../pki/token/pkcs11-uri';
import type { Db } from '../../store/database';
import { SettingsStore } from '../../store/settings-store';
import { OfflineRoot } from '../../station/offline-root';
import { unlockedAuthority } from '../authority';
import { parseCount } from '../numbers';
import { readSecret } from '../secrets';
import { withStation } from '../with-station';
import { invocation } from '../invocation';

export function caCommand(): Command {
  const ca = new Command('ca').description('the embedded CA: create, import, export, prove possession');

  ca.addCommand(caInit());
  ca.addCommand(caImport());
  ca.addCommand(caExport());
  ca.addCommand(caVerificationCert());
  ca.addCommand(caStatus());
  ca.addCommand(caCrl());
  ca.addCommand(caCsr());
  ca.addCommand(caInstall());
  return ca;
}

function caInit(): Command {
  return new Command('init')
    .description('create the embedded root and issuing CA (keys encrypted with the passphrase)')
    .addOption(new Option('--key <algorithm>', 'key algorithm').choices(['ec-p256', 'rsa-2048']).default('ec-p256'))
    .option('--subject <dn>', 'root CA subject', 'CN=Floor Enroller Root CA,O=Floor Enroller')
    .option('--permit-dns <suffix...>', 'name constraints: DNS names the issuing CA may certify')
    .option('--passphrase-file <file>', 'read the CA passphrase from this file')
    .option('--pkcs11 <uri>', 'make the CA keys inside this PKCS#11 token (RFC 7512 URI with module-path)')
    .option('--token-pin-file <file>', "the token's PIN (else the URI's pin-source, else --pin-file, else a prompt)")
    .option('--force', 'replace an existing CA', false)
    .action(
      async (
        options: {
          key: 'ec-p256' | 'rsa-2048';
          subject: string;
          permitDns?: string[];
          passphraseFile?: string;
          pkcs11?: string;
          tokenPinFile?: string;
          force: boolean;
        },
        command: Command,
      ) => {
        await withStation(command, 'configure', async (station, { out }) => {
          const passphrase = options.pkcs11
            ? await tokenPin(
                options.pkcs11,
                options.tokenPinFile ?? command.optsWithGlobals<{ pinFile?: string }>().pinFile,
              )
            : await readSecret(options.passphraseFile, 'New CA passphrase');
          const status = await station.ca.init({
            keyAlgorithm: options.key,
            subject: options.subject,
            passphrase,
            force: options.force,
            ...(options.pkcs11 ? { pkcs11: options.pkcs11 } : {}),
            ...(options.permitDns ? { nameConstraints: { permittedDns: options.permitDns } } : {}),
          });
          out.record(
            { status: 'initialized', ...status },
            `CA ready.\n  root:    ${status.root?.subject}\n  issuing: ${status.issuing?.subject}`,
          );
        });
      },
    );
}

function caImport(): Command {
  return new Command('import')
    .description("use a factory's existing issuing CA instead (PEM files, or one PKCS#12 file)")
    .option('--cert <pem>', 'the issuing CA certificate (PEM file)')
    .option('--key <pem>', 'its private key (PEM file, encrypted or not)')
    .option('--chain <pem>', 'the chain above it, up to the root (PEM file)')
    .option('--p12 <file>', 'instead of --cert/--key/--chain: a PKCS#12 file with the CA, its key and chain')
    .option('--key-passphrase-file <file>', 'passphrase of the key file or the PKCS#12 file, if it is encrypted')
    .option('--passphrase-file <file>', 'the station CA passphrase to protect the key with')
    .action(
      async (
        options: {
          cert?: string;
          key?: string;
          chain?: string;
          p12?: string;
          keyPassphraseFile?: string;
          passphraseFile?: string;
        },
        command: Command,
      ) => {
        await withStation(command, 'configure', async (station, { out }) => {
          if (options.p12) {
            const p12Passphrase = await readSecret(options.keyPassphraseFile, 'PKCS#12 passphrase');
            const passphrase = await readSecret(options.passphraseFile, 'Station CA passphrase');
            const status = await station.ca.importPkcs12({
              p12: new Uint8Array(fs.readFileSync(options.p12)),
              p12Passphrase,
              passphrase,
            });
            out.record({ status: 'imported', ...status }, `CA imported: ${status.issuing?.subject}`);
            return;
          }
          if (!options.cert || !options.key)
            throw new EnrollerError('CA_IMPORT_INVALID', 'Give --cert and --key (PEM files), or --p12.');
          const keyPassphrase = options.keyPassphraseFile
            ? await readSecret(options.keyPassphraseFile, 'Key file passphrase')
            : undefined;
          const passphrase = await readSecret(options.passphraseFile, 'Station CA passphrase');
          const status = await station.ca.import({
            certPem: fs.readFileSync(options.cert, 'utf8'),
            keyPem: fs.readFileSync(options.key, 'utf8'),
            passphrase,
            ...(keyPassphrase ? { keyPassphrase } : {}),
            ...(options.chain ? { chainPem: fs.readFileSync(options.chain, 'utf8') } : {}),
          });
          out.record({ status: 'imported', ...status }, `CA imported: ${status.issuing?.subject}`);
        });
      },
    );
}

function caExport(): Command {
  return new Command('export')
    .description('the CA chain as PEM: issuing CA first, then root')
    .option('--out <file>', 'write to this file instead of stdout')
    .action(async (options: { out?: string }, command: Command) => {
      await withStation(command, 'read', async (station, { out }) => {
        const pem = station.ca.chainPem();
        if (options.out) {
          fs.writeFileSync(options.out, pem);
          out.record({ status: 'exported', file: options.out }, `Chain written to ${options.out}`);
        } else if (out.json) out.record({ status: 'exported', pem }, pem);
        else invocation().stdout.write(pem);
      });
    });
}

function caVerificationCert(): Command {
  return new Command('verification-cert')
    .description('proof-of-possession certificate for a verification code (Azure DPS, INeS)')
    .requiredOption('--code <code>', 'the verification code the cloud gave you')
    .requiredOption('--out <file>', 'where to write the certificate (PEM)')
    .addOption(new Option('--ca <which>', 'which CA is being registered').choices(['root', 'issuing']).default('root'))
    .option('--passphrase-file <file>', 'read the CA passphrase from this file')
    .action(
      async (
        options: { code: string; out: string; ca: 'root' | 'issuing'; passphraseFile?: string },
        command: Command,
      ) => {
        await withStation(command, 'configure', async (station, { out }) => {
          const passphrase = await readSecret(options.passphraseFile, 'CA passphrase');
          const certificate = await station.ca.verificationCertificate(options.code, passphrase, options.ca);
          fs.writeFileSync(options.out, certificate.toString('pem') + '\n');
          out.record(
            { status: 'issued', file: options.out, serial: certificate.serialNumber, subject: certificate.subject },
            `Verification certificate for ${options.code} written to ${options.out}`,
          );
        });
      },
    );
}

function caStatus(): Command {
  return new Command('status')
    .description('whether the CA exists, its subjects, where the issuing key lives, and its key ceremonies')
    .action(async (_options: unknown, command: Command) => {
      await withStation(command, 'read', async (station, { out }) => {
        const status = station.ca.status();
        const ceremonies = keyCeremonies(station.db);
        const where =
          status.key?.location === 'pkcs11'
            ? `token "${status.key.token}" (serial ${status.key.serial})`
            : 'encrypted file';
        out.record(
          { ...status, ceremonies },
          status.initialized
            ? [
                `root:    ${status.root?.subject}`,
                `issuing: ${status.issuing?.subject}`,
                `key:     ${where}`,
                ...ceremonies.map((c) => `  ${c.at}  ${c.action} by ${c.actor}`),
              ].join('\n')
            : 'No CA yet: run `enroller ca init`.',
        );
      });
    });
}

/** How long a CRL is good for when nobody said (a CA setting, `ca crl --next-update-hours`). */
const CRL_NEXT_UPDATE_KEY = 'ca.crlNextUpdateHours';
const CRL_NEXT_UPDATE_DEFAULT_HOURS = 24 * 7;

function caCrl(): Command {
  return new Command('crl')
    .description('a fresh CRL signed by the issuing CA, with the next CRL number (DER unless --pem)')
    .option('--out <file>', 'write to this file instead of stdout')
    .option('--pem', 'PEM instead of DER', false)
    .option('--next-update-hours <n>', 'nextUpdate this many hours after thisUpdate (kept as the CA setting)', (v) =>
      parseCount(v, 1),
    )
    .option('--passphrase-file <file>', 'read the CA passphrase from this file')
    .action(
      async (
        options: { out?: string; pem: boolean; nextUpdateHours?: number; passphraseFile?: string },
        command: Command,
      ) => {
        await withStation(command, 'supervise', async (station, { out, actor }) => {
          const settings = new SettingsStore(station.db);
          if (options.nextUpdateHours) settings.put(CRL_NEXT_UPDATE_KEY, options.nextUpdateHours);
          const hours = settings.get<number>(CRL_NEXT_UPDATE_KEY) ?? CRL_NEXT_UPDATE_DEFAULT_HOURS;
          const authority = await unlockedAuthority(station, options.passphraseFile, actor);
          const crl = await authority.crl(new Date(), hours);
          // "X509 CRL" is the label OpenSSL and RFC 7468 §5 read (the X.509 library writes "CRL").
          const der = new Uint8Array(crl.rawData);
          const bytes = options.pem ? Buffer.from(pemBlock('X509 CRL', der)) : Buffer.from(der);
          const summary = {
            status: 'signed',
            number: crlNumberOf(crl),
            thisUpdate: crl.thisUpdate.toISOString(),
            nextUpdate: crl.nextUpdate?.toISOString(),
            revoked: crl.entries.length,
          };
          if (!options.out) return void invocation().stdout.write(bytes);
          fs.writeFileSync(options.out, bytes);
          out.record(
            { ...summary, file: options.out },
            `CRL ${summary.number} (${summary.revoked} revoked) written to ${options.out}; ` +
              `next update ${summary.nextUpdate}.`,
          );
        });
      },
    );
}

function crlNumberOf(crl: x509.X509Crl): number {
  const extension = crl.getExtension('2.5.29.20');
  return extension ? Number(AsnConvert.parse(extension.value, asn1X509.CRLNumber).value) : 0;
}

/** The token PIN for `ca init --pkcs11`: none to read when the URI names its own pin-source. */
async function tokenPin(uri: string, file: string | undefined): Promise<string> {
  return parsePkcs11Uri(uri).pinFile ? '' : readSecret(file, 'Token PIN');
}

function caCsr(): Command {
  return new Command('csr')
    .description('a new issuing CA key (encrypted, or in a PKCS#11 token) and its CSR, for an offline root to sign')
    .requiredOption('--out <file>', 'where to write the CSR (PEM)')
    .option('--subject <dn>', 'issuing CA subject', 'CN=Floor Enroller Issuing CA,O=Floor Enroller')
    .option('--pkcs11 <uri>', 'make the key inside this PKCS#11 token (RFC 7512 URI)')
    .option('--token-pin-file <file>', "the token's PIN (else the URI's pin-source, else a prompt)")
    .option('--passphrase-file <file>', 'the station passphrase that encrypts a file key')
    .action(
      async (
        options: { out: string; subject: string; pkcs11?: string; tokenPinFile?: string; passphraseFile?: string },
        command: Command,
      ) => {
        await withStation(command, 'supervise', async (station, { out, actor }) => {
          const secret = options.pkcs11
            ? await tokenPin(options.pkcs11, options.tokenPinFile)
            : await readSecret(options.passphraseFile, 'Station passphrase');
          const made = await new OfflineRoot(station.db, station.audit).request({
            subject: options.subject,
            passphrase: secret,
            pkcs11: options.pkcs11,
            actor,
          });
          fs.writeFileSync(options.out, made.csrPem + '\n');
          out.record(
            { status: 'requested', file: options.out, keyFingerprint: made.keyFingerprint, key: made.key },
            `CSR for a new issuing CA written to ${options.out}: have the root sign it, then \`enroller ca install\`.`,
          );
        });
      },
    );
}

function caInstall(): Command {
  return new Command('install')
    .description('the issuing CA certificate the offline root signed (checked), and the root above it')
    .requiredOption('--cert <pem>', 'the issuing CA certificate')
    .requiredOption('--chain <pem>', 'the chain above it, up to the root')
    .action(async (options: { cert: string; chain: string }, command: Command) => {
      await withStation(command, 'supervise', async (station, { out, actor }) => {
        await new OfflineRoot(station.db, station.audit).install({
          certPem: fs.readFileSync(options.cert, 'utf8'),
          chainPem: fs.readFileSync(options.chain, 'utf8'),
          actor,
        });
        const status = station.ca.status();
        out.record({ status: 'installed', ...status }, `The station now issues under ${status.issuing?.subject}.`);
      });
    });
}

/** Who made or installed which CA key, when, with which fingerprints and token: the audit rows. */
function keyCeremonies(db: Db): Array<{ at: string; actor: string; action: string; details: unknown }> {
  return db
    .prepare<[], { at: string; actor: string; action: string; details: string }>(
      "SELECT at, actor, action, details FROM audit_log WHERE action IN ('ca.initialized', 'ca.imported', " +
        "'ca.key-made', 'ca.installed') ORDER BY seq",
    )
    .all()
    .map((row) => ({ ...row, details: JSON.parse(row.details) as unknown }));
}
