// An nRF91 modem behind Nordic's AT-client firmware, as a device kind for the runner: identity from
// its IMEI (checked against a scanned label), the key made inside the modem (AT%KEYGEN) with its
// COSE evidence, the client certificate and the device type's CA certificates written to sec tags
// (delete-first) while the modem is offline, and proved by the SHA-256 the modem lists.
import { EnrollerError } from '../../../../shared/errors';
import type { DeviceTypeDocument } from '../../../../shared/device-type';
import type { LinkRecovery } from '../../../devices/link-recovery';
import { CredentialType, type Nrf91Modem } from '../../../devices/nrf91/modem';
import { atLeast, type FirmwareVersion } from '../../../devices/nrf91/parsers/identity';
import { x509 } from '../../../pki/crypto';
import { deviceIdFor } from '../../../pki/device-type/naming';
import type { JobRow } from '../../../store/job-store';
import { withSignal, type CsrOptions, type DeviceAdapter, type Identity, type MadeCsr } from '../device-adapter';
import { certificatePem, certificatesIn, pemCertificateBlocks } from '../../../pki/pem';
import { issuingChainFor, type PlannedChain } from '../issuing-chain';

export interface Nrf91Slot {
  readonly port: string;
  readonly modem: Nrf91Modem;
  readonly deviceType: DeviceTypeDocument;
  /** PEM text the device type's caCerts sources refer to. */
  readonly pems: { readonly root: string; readonly issuingChain: string };
  /** The station CA's chain, for a birth certificate it issues while the service is out of reach. */
  readonly stationChain?: string | undefined;
  /** The service's trust anchors (the `profile-trust` source). */
  readonly trustPem?: string | undefined;
  /** The IMEI on the label scanned for this port: checked before anything is written. */
  readonly expectedImei?: string | undefined;
}

export class Nrf91Adapter implements DeviceAdapter {
  readonly whenDone = 'skip';
  readonly birthCertificates = true;
  readonly carriesChallenge = false; // the modem makes its CSR: nothing can be put inside
  readonly queueItem = { kind: 'device' } as const;
  readonly #slot: Nrf91Slot;
  #uuid: string | undefined;

  constructor(slot: Nrf91Slot) {
    this.#slot = slot;
  }

  get #secTags(): NonNullable<DeviceTypeDocument['secTags']> {
    const { secTags, name } = this.#slot.deviceType;
    if (!secTags) throw new EnrollerError('DEVICE_TYPE_INVALID', `Device type ${name} has no sec tags for an nRF91.`);
    return secTags;
  }

  async identify(signal: AbortSignal | undefined): Promise<Identity> {
    const { modem, expectedImei, port } = this.#slot;
    void this.#secTags; // a type that cannot say where credentials go fails before the modem is touched
    await modem.connect(withSignal(signal));
    const { imei, deviceUuid, firmware, model, attestationToken } = await modem.identify(withSignal(signal));
    if (expectedImei && imei !== expectedImei) {
      throw new EnrollerError(
        'DEVICE_IDENTITY_MISMATCH',
        `The label scanned for this port says IMEI ${expectedImei}, but the device reports ${imei}. Nothing was ` +
          `written: check which device is in this slot, scan again, then retry.`,
        { expected: expectedImei, reported: imei },
      );
    }
    this.#uuid = deviceUuid;
    const deviceId = deviceIdFor(this.#slot.deviceType, { imei, ...(deviceUuid ? { uuid: deviceUuid } : {}) });
    refuseFirmware(this.#slot.deviceType, firmware, deviceId);
    return {
      deviceId,
      attributes: { imei, ...(model ? { model } : {}), fwVersion: firmware.raw },
      device: { imei, uuid: deviceUuid, model, firmware: firmware.raw, attestationToken },
      approval: { imei, uuid: deviceUuid ?? null, port },
      audit: { port, imei },
    };
  }

  session<T>(work: () => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    return this.#slot.modem.withOffline(work, withSignal(signal));
  }

  async holdsKey(job: JobRow, signal: AbortSignal | undefined): Promise<boolean> {
    if (!job.keySha256) return true;
    const [key] = await this.#slot.modem.list(this.#secTags.client, CredentialType.clientKey, withSignal(signal));
    return key?.sha256 === job.keySha256;
  }

  async makeCsr(job: JobRow, _options: CsrOptions, signal: AbortSignal | undefined): Promise<MadeCsr> {
    const { modem } = this.#slot;
    const key = await modem.generateKey(this.#secTags.client, `CN=${job.deviceId}`, this.#uuid, withSignal(signal));
    const [listed] = await modem.list(this.#secTags.client, CredentialType.clientKey, withSignal(signal));
    if (!listed) throw new EnrollerError('MODEM_KEYGEN_FAILED', 'The modem reported a new key but does not list it.');
    return {
      csrDer: key.csr.der,
      keyEvidence: key.cose,
      // Firmware before 1.3.2 lists no digest: the key's origin then rests on the COSE evidence alone.
      ...(listed.sha256 ? { keySha256: listed.sha256 } : {}),
      audit: { action: 'csr.generated', details: { secTag: this.#secTags.client } },
    };
  }

  /** The client certificate in the client sec tag (the first PEM block of it), if there is one. */
  async heldCertificate(signal: AbortSignal | undefined): Promise<Uint8Array | undefined> {
    const { modem } = this.#slot;
    const [entry] = await modem.list(this.#secTags.client, CredentialType.clientCert, withSignal(signal));
    if (!entry) return undefined;
    const [first] = pemCertificateBlocks(
      await modem.read(this.#secTags.client, CredentialType.clientCert, withSignal(signal)),
    );
    return first ? new Uint8Array(new x509.X509Certificate(first).rawData) : undefined;
  }

  onRecovery(listener: (recovery: LinkRecovery) => void): () => void {
    const { link } = this.#slot.modem;
    link.on('recovered', listener);
    return () => link.off('recovered', listener);
  }

  /** Every credential is checked to fit the modem's AT buffer before the first is written. */
  async write(
    _job: JobRow,
    leaf: x509.X509Certificate,
    signal: AbortSignal | undefined,
  ): Promise<Record<string, string>> {
    const { modem } = this.#slot;
    const credentials = this.#credentials(leaf);
    for (const { secTag, type, content } of credentials) modem.checkFits(secTag, type, content);
    const written: Record<string, string> = {};
    const write = { ...withSignal(signal), deleteFirst: true };
    for (const { secTag, type, content } of credentials)
      written[`${secTag}/${type}`] = (await modem.write(secTag, type, content, write)).sha256;
    return written;
  }

  /** The client certificate slot holds the leaf and the CA that signed it. */
  planned(_job: JobRow, leaf: x509.X509Certificate): PlannedChain {
    const issuers = certificatesIn(this.#issuingChain(leaf));
    return { chain: [leaf, ...issuers.slice(0, 1)], issuers };
  }

  #issuingChain(leaf: x509.X509Certificate): string {
    return issuingChainFor(leaf, [this.#slot.pems.issuingChain, this.#slot.stationChain]);
  }

  /** The client certificate (with its issuer) and each CA sec tag's certificates, in writing order. */
  #credentials(leaf: x509.X509Certificate): Array<{ secTag: number; type: number; content: string }> {
    const clientPem = [certificatePem(leaf), ...pemCertificateBlocks(this.#issuingChain(leaf)).slice(0, 1)].join('\n');
    return [
      { secTag: this.#secTags.client, type: CredentialType.clientCert, content: clientPem },
      ...this.#secTags.caCerts.map((slot) => ({
        secTag: slot.secTag,
        type: CredentialType.rootCa,
        content: slot.certificates.map((source) => this.#caText(source)).join('\n'),
      })),
    ];
  }

  async verify(
    job: JobRow,
    _leaf: x509.X509Certificate,
    written: Record<string, string>,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const { modem } = this.#slot;
    for (const [slot, sha] of Object.entries(written)) {
      const [tag, type] = slot.split('/').map(Number) as [number, number];
      await modem.verifyStored(tag, type, sha, withSignal(signal));
    }
    // The device still holds the very key the CSR (and so the certificate) was made for.
    if (job.keySha256)
      await modem.verifyStored(this.#secTags.client, CredentialType.clientKey, job.keySha256, withSignal(signal));
  }

  #caText(source: NonNullable<DeviceTypeDocument['secTags']>['caCerts'][number]['certificates'][number]): string {
    if (typeof source === 'object') return source.pem;
    if (source === 'root') return this.#slot.pems.root;
    if (source === 'issuing-chain') return this.#slot.pems.issuingChain;
    return this.#slot.trustPem ?? '';
  }
}

/** The device type's firmware policy (modemFirmware): a modem outside it is refused before any key is made. */
function refuseFirmware(deviceType: DeviceTypeDocument, firmware: FirmwareVersion, deviceId: string): void {
  const policy = deviceType.modemFirmware;
  if (!policy) return;
  const [major, minor, patch] = (policy.minimum ?? '0.0.0').split('.').map(Number) as [number, number, number];
  const tooOld = !atLeast(firmware, major, minor, patch);
  const notListed = policy.allowed !== undefined && !policy.allowed.includes(firmware.raw);
  if (!tooOld && !notListed) return;
  const wanted = [
    ...(policy.minimum ? [`${policy.minimum} or newer`] : []),
    ...(policy.allowed ? [`one of ${policy.allowed.join(', ')}`] : []),
  ].join(', and ');
  throw new EnrollerError(
    'MODEM_FIRMWARE_NOT_ALLOWED',
    `${deviceId} runs modem firmware ${firmware.raw}; device type ${deviceType.name} takes ${wanted}. Nothing was ` +
      'made or written: update the modem firmware, or use a device type for it.',
    { firmware: firmware.raw, ...policy },
  );
}
