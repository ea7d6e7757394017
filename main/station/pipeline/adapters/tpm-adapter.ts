// A TPM 2.0 through tpm2-tools, as a device kind for the runner: identity from its endorsement key
// (certificate, else public key; checked against the makers' roots when the device type lists
// them), a key made and persisted inside the TPM with the CSR built here and signed by the TPM, the
// certificate kept in an NV index (and as files when asked), read back byte-identical.
import crypto from 'node:crypto';
import { EnrollerError } from '../../../../shared/errors';
import type { DeviceAttributes, DeviceTypeDocument } from '../../../../shared/device-type';
import { writeCertificateFiles } from '../../../devices/files/csr-files';
import { normalizeHandle, NV_INDEX_MAX_BYTES, type Tpm, type TpmKeyAlgorithm } from '../../../devices/tpm/tpm';
import type { EnrollContext } from '../../../enroll/enroller';
import { x509 } from '../../../pki/crypto';
import { verifyCsr } from '../../../pki/csr';
import type { CsrRequirements } from '../../../pki/csr-requirements';
import { deviceIdFor, resolveName } from '../../../pki/device-type/naming';
import { verifyEkCertificate } from '../../../pki/ek-trust';
import { buildCsr, type ExternalSigner } from '../../../pki/external-signer';
import type { JobRow } from '../../../store/job-store';
import { withSignal, type CsrOptions, type DeviceAdapter, type Identity, type MadeCsr } from '../device-adapter';
import { certificatesIn } from '../../../pki/pem';
import { issuingChainFor, type PlannedChain } from '../issuing-chain';
import type { JobOutcome } from '../job-outcome';
import { certificatePublicKey, csrPublicKey, sameKey } from '../../../pki/public-key-of';

export interface TpmSlot {
  /** The slot: the TPM's TCTI. */
  readonly port: string;
  readonly tpm: Tpm;
  readonly deviceType: DeviceTypeDocument;
  /** The issuing chain, written after the leaf in exported PEM files. */
  readonly chainPem: string;
  /** The station CA's chain, for a birth certificate it issues while the service is out of reach. */
  readonly stationChain?: string | undefined;
  /** A serial number given for this device (label, traveller): an attribute for ID and subject. */
  readonly serial?: string | undefined;
  /** Also export the certificate as `<deviceId>.pem` / `.der` here (and only here when NV cannot hold it). */
  readonly outDir?: string | undefined;
}

/** An EK (certificate, else public key) fingerprint: 128 bits, so `tpm-{ekFingerprint}` fits a CN. */
export function ekFingerprint(ek: Uint8Array): string {
  return crypto.createHash('sha256').update(ek).digest('hex').slice(0, 32);
}

const sha256 = (bytes: Uint8Array) => crypto.createHash('sha256').update(bytes).digest('hex');

export class TpmAdapter implements DeviceAdapter {
  readonly whenDone = 'skip';
  readonly birthCertificates = true;
  readonly carriesChallenge = true; // the station builds the CSR, so a SCEP code can go inside
  readonly queueItem = { kind: 'device' } as const;
  readonly #slot: TpmSlot;
  #ekCertificate: Uint8Array | undefined;
  #attributes: DeviceAttributes = {};
  #certFile: string | undefined;

  constructor(slot: TpmSlot) {
    this.#slot = slot;
  }

  get #settings(): {
    handle: string;
    algorithm: TpmKeyAlgorithm;
    nvIndex: string;
    ekTrust: readonly string[] | undefined;
  } {
    const { tpm, name } = this.#slot.deviceType;
    if (!tpm) throw new EnrollerError('DEVICE_TYPE_INVALID', `Device type ${name} has no TPM settings.`);
    return {
      handle: normalizeHandle(tpm.keyHandle),
      algorithm: tpm.keyAlgorithm,
      nvIndex: tpm.certNvIndex,
      ekTrust: tpm.ekTrust,
    };
  }

  async identify(signal: AbortSignal | undefined): Promise<Identity> {
    const { tpm, port, serial } = this.#slot;
    const { ekTrust } = this.#settings;
    const ekCertificate = (this.#ekCertificate = await tpm.readEkCertificate(withSignal(signal)));
    // With the makers' roots configured, only a TPM whose EK certificate chains to one goes on.
    let ekChain: string[] | undefined;
    if (ekTrust?.length) {
      if (!ekCertificate)
        throw new EnrollerError(
          'TPM_EK_UNTRUSTED',
          'This TPM has no endorsement key certificate, and the device type accepts only TPMs whose maker it trusts. ' +
            'Nothing was made or written.',
        );
      ekChain = await verifyEkCertificate(ekCertificate, ekTrust);
    }
    this.#attributes = {
      ekFingerprint: ekFingerprint(ekCertificate ?? (await tpm.ekPublic(withSignal(signal)))),
      ...(serial ? { serial } : {}),
    };
    const deviceId = deviceIdFor(this.#slot.deviceType, this.#attributes);
    const hasEk = Boolean(ekCertificate);
    return {
      deviceId,
      attributes: this.#attributes,
      approval: { tcti: port, ekCertificate: hasEk, serial: serial ?? null },
      audit: { tpm: port, ekCertificate: hasEk, ...(ekChain ? { ekChain } : {}) },
    };
  }

  /** Nothing to open or close: tpm2-tools runs per command. */
  session<T>(work: () => Promise<T>): Promise<T> {
    return work();
  }

  /** A stored CSR is reused only while the TPM still holds the very key it was made for. */
  async holdsKey(job: JobRow, signal: AbortSignal | undefined): Promise<boolean> {
    if (!job.keySha256) return true;
    const { handle } = this.#settings;
    const present = (await this.#slot.tpm.persistentHandles(withSignal(signal))).includes(handle);
    return present && sha256(await this.#slot.tpm.readPublic(handle, withSignal(signal))) === job.keySha256;
  }

  async makeCsr(job: JobRow, csrOptions: CsrOptions, signal: AbortSignal | undefined): Promise<MadeCsr> {
    const { tpm, port } = this.#slot;
    const { handle, algorithm } = this.#settings;
    // A key left at the handle by an interrupted run is this device's own and is reused; a
    // deliberate re-enrollment (--force after done) gets a new one.
    refuseUnmeetableKey(algorithm, csrOptions.asked, job.deviceId!);
    const key = await tpm.ensureKey(handle, algorithm, { ...withSignal(signal), fresh: csrOptions.fresh });
    const named = resolveName(this.#slot.deviceType, { ...this.#attributes, deviceId: job.deviceId! }, {});
    const subject = withAskedAttributes(named.subject, csrOptions.asked, this.#attributes);
    const csrDer = await buildCsr({
      signer: this.#signer(key.spki, signal),
      subject,
      sans: named.sans,
      challengePassword: csrOptions.challenge,
    });
    await verifyCsr(csrDer); // the TPM's signature checks out before it is recorded
    const ekCertificate = Boolean(this.#ekCertificate);
    return {
      csrDer,
      keySha256: sha256(key.spki),
      ...(this.#ekCertificate ? { keyEvidence: this.#ekCertificate } : {}),
      audit: {
        action: 'csr.generated',
        details: { tpm: port, handle, algorithm, keyCreated: key.created, ekCertificate },
      },
    };
  }

  /** SCEP with an RSA key: the device key signs its own request and unwraps the reply. */
  enrollContext(job: JobRow, signal: AbortSignal | undefined): Partial<EnrollContext> {
    const { handle, algorithm } = this.#settings;
    if (algorithm !== 'rsa-2048') return {};
    const csrKey = csrPublicKey(job.csrDer!);
    return {
      requester: {
        signer: this.#signer(csrKey, signal),
        decrypt: (block: Uint8Array) => this.#slot.tpm.rsaDecrypt(handle, block, withSignal(signal)),
      },
    };
  }

  async write(
    job: JobRow,
    leaf: x509.X509Certificate,
    signal: AbortSignal | undefined,
  ): Promise<Record<string, string>> {
    const { tpm, outDir } = this.#slot;
    const chainPem = this.#issuingChain(leaf);
    const { nvIndex } = this.#settings;
    const certDer = job.certDer!;
    const written: Record<string, string> = {};
    if (this.#toNv(certDer)) {
      await tpm.writeNv(nvIndex, certDer, withSignal(signal));
      written[`nv:${normalizeHandle(nvIndex)}`] = sha256(certDer);
    }
    if (outDir) {
      const files = await writeCertificateFiles(outDir, job.deviceId!, certDer, leaf.toString('pem'), chainPem);
      written[files.der] = sha256(certDer);
      written[files.pem] = 'pem';
      this.#certFile = files.pem;
    }
    return written;
  }

  /** The certificate in the type's NV index, if one was written there. */
  async heldCertificate(signal: AbortSignal | undefined): Promise<Uint8Array | undefined> {
    const { tpm } = this.#slot;
    const { nvIndex } = this.#settings;
    if ((await tpm.nvSize(nvIndex, withSignal(signal))) === undefined) return undefined;
    return tpm.readNv(nvIndex, withSignal(signal));
  }

  /** NV holds the leaf; the files (when asked for) hold it with its issuers. */
  planned(_job: JobRow, leaf: x509.X509Certificate): PlannedChain {
    const issuers = certificatesIn(this.#issuingChain(leaf));
    return { chain: [leaf, ...issuers.filter((c) => c.subject !== c.issuer)], issuers };
  }

  #issuingChain(leaf: x509.X509Certificate): string {
    return issuingChainFor(leaf, [this.#slot.chainPem, this.#slot.stationChain]);
  }

  async verify(
    job: JobRow,
    leaf: x509.X509Certificate,
    _written: Record<string, string>,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const { tpm } = this.#slot;
    const { handle, nvIndex } = this.#settings;
    const certDer = job.certDer!;
    if (
      this.#toNv(certDer) &&
      !Buffer.from(await tpm.readNv(nvIndex, withSignal(signal))).equals(Buffer.from(certDer))
    ) {
      throw new EnrollerError(
        'TPM_READBACK_MISMATCH',
        `NV index ${normalizeHandle(nvIndex)} does not read back the certificate that was written.`,
      );
    }
    const csrKey = csrPublicKey(job.csrDer!);
    const heldKey = await tpm.readPublic(handle, withSignal(signal));
    if (!sameKey(certificatePublicKey(leaf.rawData), csrKey) || !sameKey(heldKey, csrKey)) {
      throw new EnrollerError('TPM_KEY_MISMATCH', `The certificate does not carry the key the TPM holds at ${handle}.`);
    }
  }

  finish(outcome: JobOutcome): JobOutcome {
    return this.#certFile ? { ...outcome, certFile: this.#certFile } : outcome;
  }

  /** Into NV when it fits, or when there is nowhere else for it (the write then says why not). */
  #toNv(certDer: Uint8Array): boolean {
    return certDer.length <= NV_INDEX_MAX_BYTES || !this.#slot.outDir;
  }

  #signer(spki: Uint8Array, signal: AbortSignal | undefined): ExternalSigner {
    const { handle, algorithm } = this.#settings;
    return { algorithm, spki, sign: (data) => this.#slot.tpm.sign(handle, algorithm, data, withSignal(signal)) };
  }
}

/** The key the TPM would make cannot be one the service takes: refused before a key is made. */
function refuseUnmeetableKey(algorithm: 'ec-p256' | 'rsa-2048', asked: CsrRequirements | undefined, id: string) {
  if (!asked || asked.keys.length === 0) return;
  const fits = asked.keys.some((wanted) =>
    wanted.type === 'ec'
      ? algorithm === 'ec-p256' && (wanted.curves.length === 0 || wanted.curves.includes(P256_OID))
      : algorithm === 'rsa-2048' && (wanted.bits ?? 2048) <= 2048,
  );
  if (!fits)
    throw new EnrollerError(
      'CSR_ATTRIBUTES_UNMET',
      `${id} cannot be enrolled with this profile: the server's CSR attributes ask for a key this TPM device type ` +
        `does not make (${algorithm}). No key was made. Choose a device type with a key the server takes.`,
      { algorithm },
    );
}

const P256_OID = '1.2.840.10045.3.1.7';
const SUBJECT_FROM_ATTRIBUTE: Readonly<Record<string, { name: string; from: 'serial' }>> = {
  '2.5.4.5': { name: 'serialNumber', from: 'serial' },
};

/** Subject attributes the service asks for and the device type left out, filled where the device says them. */
function withAskedAttributes(
  subject: ReadonlyArray<readonly [string, string]>,
  asked: CsrRequirements | undefined,
  attributes: DeviceAttributes,
): ReadonlyArray<readonly [string, string]> {
  const added: Array<readonly [string, string]> = [];
  for (const type of asked?.subjectAttributes ?? []) {
    const fill = SUBJECT_FROM_ATTRIBUTE[type];
    const value = fill ? attributes[fill.from] : undefined;
    if (fill && value && !subject.some(([name]) => name === fill.name)) added.push([fill.name, value]);
  }
  return [...subject, ...added];
}
