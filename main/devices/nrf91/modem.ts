// Credential operations on an nRF91 modem, in the order Nordic's own tools use them
// (nrf91-at.md §6 and §8.4): connect, identify, go offline, delete-then-generate, write, list.
// Every command goes through the modem's link (modem-link.ts): reads are asked again after a lost
// reply; each change names the read-back that tells whether it took.
import crypto from 'node:crypto';
import { EnrollerError } from '../../../shared/errors';
import { verifyCsr, type VerifiedCsr } from '../../pki/csr';
import type { Logger } from '../../log';
import { TIMEOUTS, type AtClient } from './at-client';
import { ModemLink, OFFLINE_MODES, type LinkOptions } from './modem-link';
import { parseBareOk, parseCredentialList, parseCredentialRead, type CredentialEntry } from './parsers/cmng';
import { atLeast, parseCfun, parseFirmware, parseImei, type FirmwareVersion } from './parsers/identity';
import { parseAttestationToken, parseKeygen, parseKeygenEvidence, type KeygenEvidence } from './parsers/keygen';

/** %CMNG credential types (nrf91-at.md §3.2). */
export const CredentialType = {
  rootCa: 0,
  clientCert: 1,
  clientKey: 2,
  psk: 3,
  pskIdentity: 4,
} as const;

export interface ModemIdentity {
  readonly imei: string;
  readonly firmware: FirmwareVersion;
  /** From %ATTESTTOKEN; absent on firmware that cannot produce one. */
  readonly deviceUuid: string | undefined;
  /** The %ATTESTTOKEN itself (what nRF Cloud claims a device with); absent on firmware without one. */
  readonly attestationToken: string | undefined;
  readonly model: string | undefined;
}

export interface GeneratedKey {
  readonly csr: VerifiedCsr;
  /** The CSR exactly as the modem sent it (before normalisation), for the audit trail. */
  readonly rawCsr: Uint8Array;
  /** COSE_Sign1 from the modem: evidence the key was born inside it. */
  readonly cose: Uint8Array;
  readonly evidence: KeygenEvidence;
}

export interface OperationOptions {
  readonly signal?: AbortSignal;
}

export class Nrf91Modem {
  readonly link: ModemLink;
  readonly #log: Logger;

  constructor(at: AtClient, log: Logger, link: LinkOptions = {}) {
    this.link = new ModemLink(at, log, link);
    this.#log = log;
  }

  /** The AT conversation of the moment (a new one after the port came back). */
  get at(): AtClient {
    return this.link.at;
  }

  /** `AT` until it answers (the first command after power-up may get ERROR), then `AT+CMEE=1`. */
  connect(options: OperationOptions = {}): Promise<void> {
    return this.link.hello(options);
  }

  /** Who the modem is; from here on, a modem that restarts or comes back must have this IMEI. */
  async identify(options: OperationOptions = {}): Promise<ModemIdentity> {
    const imei = await this.link.read('AT+CGSN=1', parseImei, options);
    this.link.pin(imei);
    const firmware = await this.link.read('AT+CGMR', parseFirmware, options);
    if (!atLeast(firmware, 1, 3, 0)) {
      throw new EnrollerError(
        'MODEM_FIRMWARE_TOO_OLD',
        `Modem firmware ${firmware.raw} cannot generate keys; update it to 1.3.0 or newer.`,
        { firmware: firmware.raw },
      );
    }
    const model = await this.link.read('AT+CGMM', (lines) => lines.find((l) => /^nRF91\w*/.test(l)), options);
    let deviceUuid: string | undefined;
    let attestationToken: string | undefined;
    try {
      // The token is signed inside the modem: give it the credential deadline, not the default.
      const token = { ...options, timeoutMs: TIMEOUTS.credential };
      const attested = await this.link.read('AT%ATTESTTOKEN', parseAttestationToken, token);
      deviceUuid = attested.deviceUuid;
      attestationToken = `${base64url(attested.first)}.${base64url(attested.cose)}`;
    } catch (error) {
      if (
        !(error instanceof EnrollerError) ||
        !['MODEM_ERROR', 'MODEM_UNSUPPORTED', 'DEVICE_GARBAGE'].includes(error.code)
      )
        throw error;
      this.#log.info({ code: error.code }, 'no attestation token; the device UUID will come from KEYGEN');
    }
    return { imei, firmware, deviceUuid, attestationToken, model };
  }

  async functionalMode(options: OperationOptions = {}): Promise<number> {
    return this.link.read('AT+CFUN?', parseCfun, options);
  }

  /** Setting a mode twice is the same as once: it is asked again like a read. */
  async setFunctionalMode(mode: number, options: OperationOptions = {}): Promise<void> {
    await this.link.read(`AT+CFUN=${mode}`, () => undefined, { ...options, timeoutMs: TIMEOUTS.cfun });
  }

  /** Runs `work` with the modem offline (CFUN=4), then puts back the mode it found. */
  async withOffline<T>(work: () => Promise<T>, options: OperationOptions = {}): Promise<T> {
    const previous = await this.functionalMode(options);
    this.link.offline = true;
    try {
      if (!OFFLINE_MODES.has(previous)) await this.#goOffline(options);
      return await work();
    } finally {
      this.link.offline = false;
      if (!OFFLINE_MODES.has(previous) && !this.at.transport.closed)
        await this.setFunctionalMode(previous, options).catch(() => undefined);
    }
  }

  async #goOffline(options: OperationOptions): Promise<void> {
    await this.setFunctionalMode(4, options);
    // A modem that restarted meanwhile is offline too (0 after boot): what matters is no radio.
    const now = await this.functionalMode(options);
    if (!OFFLINE_MODES.has(now))
      throw new EnrollerError('MODEM_ONLINE', `The modem did not go offline (it reports CFUN ${now}).`, { cfun: now });
  }

  async list(secTag?: number, type?: number, options: OperationOptions = {}): Promise<CredentialEntry[]> {
    const args = [1, secTag, type].filter((v) => v !== undefined).join(',');
    return this.link.read(`AT%CMNG=${args}`, parseCredentialList, options);
  }

  /** The content stored at a sec tag (`%CMNG=2`): certificates only, the modem never reads out a key. */
  async read(secTag: number, type: number, options: OperationOptions = {}): Promise<string> {
    return (await this.link.read(`AT%CMNG=2,${secTag},${type}`, parseCredentialRead, options)).content;
  }

  /** Deletes one credential; returns false when there was none (513 is not a failure here). */
  async delete(secTag: number, type: number, options: OperationOptions = {}): Promise<boolean> {
    const gone = async () => (await this.list(secTag, type, options)).length === 0;
    try {
      await this.link.change(`AT%CMNG=3,${secTag},${type}`, gone, options, parseBareOk('AT%CMNG=3'));
      return true;
    } catch (error) {
      if (error instanceof EnrollerError && error.code === 'MODEM_CREDENTIAL_NOT_FOUND') return false;
      throw error;
    }
  }

  /**
   * Writes PEM text into a sec tag. Returns exactly what was sent and its SHA-256, which is what
   * the modem's list must show afterwards. LF line endings, no surrounding whitespace: 91x1
   * firmware answers 527 to CRLF PEM (nrf91-at.md §3.3).
   */
  async write(
    secTag: number,
    type: number,
    content: string,
    options: OperationOptions & { deleteFirst?: boolean } = {},
  ): Promise<{ sent: string; sha256: string }> {
    const sent = toModemText(content);
    const sha256 = sha256Hex(sent);
    this.checkFits(secTag, type, sent);
    if (options.deleteFirst) await this.delete(secTag, type, options);
    const stored = async () => (await this.#holds(secTag, type, sha256, options)).holds;
    const write = { ...options, timeoutMs: TIMEOUTS.credential };
    await this.link.change(`AT%CMNG=0,${secTag},${type},"${sent}"`, stored, write, parseBareOk('AT%CMNG=0'));
    return { sent, sha256 };
  }

  /**
   * Refuses content whose write command would overflow this modem's AT buffer (a smaller
   * CONFIG_AT_HOST_CMD_MAX_LEN), before anything is sent: an overflow inside the quotes wedges it.
   */
  checkFits(secTag: number, type: number, content: string): void {
    const bytes = Buffer.byteLength(`AT%CMNG=0,${secTag},${type},"${toModemText(content)}"`);
    const limit = this.at.maxCommandBytes;
    if (bytes <= limit) return;
    throw new EnrollerError(
      'MODEM_BUFFER_TOO_SMALL',
      `Security tag ${secTag} (type ${type}) needs a ${bytes}-byte command, but this modem's AT buffer takes ` +
        `${limit}. Nothing was written: use firmware with a larger AT host buffer, or fewer certificates in the tag.`,
      { secTag, type, bytes, limit },
    );
  }

  /** Readback: the modem's SHA-256 of what it stored must equal the SHA-256 of what we sent. */
  async verifyStored(
    secTag: number,
    type: number,
    expectedSha256: string,
    options: OperationOptions = {},
  ): Promise<void> {
    const { found, holds, stored } = await this.#holds(secTag, type, expectedSha256, options);
    if (!found)
      throw new EnrollerError(
        'MODEM_READBACK_MISMATCH',
        `Nothing is stored at security tag ${secTag}, type ${type}, after writing it.`,
        { secTag, type },
      );
    if (!holds) {
      throw new EnrollerError(
        'MODEM_READBACK_MISMATCH',
        `The credential read back from security tag ${secTag}, type ${type}, differs from what was written.`,
        { secTag, type, expected: expectedSha256.toUpperCase(), ...(stored ? { stored } : {}) },
      );
    }
  }

  /**
   * Does the modem hold exactly these bytes? By the SHA-256 it lists (mfw 1.3.2 and later); on
   * older firmware, which lists no digest, a certificate is read back (%CMNG=2) and hashed here. A
   * private key cannot be read: there its presence is all the modem can prove (the key's origin is
   * the COSE evidence checked at KEYGEN).
   */
  async #holds(
    secTag: number,
    type: number,
    expectedSha256: string,
    options: OperationOptions,
  ): Promise<{ found: boolean; holds: boolean; stored?: string }> {
    const [entry] = await this.list(secTag, type, options);
    const expected = expectedSha256.toUpperCase();
    if (!entry) return { found: false, holds: false };
    if (entry.sha256) return { found: true, holds: entry.sha256 === expected, stored: entry.sha256 };
    if (type === CredentialType.clientKey) return { found: true, holds: true };
    const stored = sha256Hex(await this.read(secTag, type, options)).toUpperCase();
    return { found: true, holds: stored === expected, stored };
  }

  /**
   * Delete-then-generate (nrf91-at.md §4.3), then prove the reply belongs to this request: the
   * CSR's signature verifies, and the COSE payload names this sec tag, this device and this CSR.
   */
  async generateKey(
    secTag: number,
    subject: string,
    expectedUuid: string | undefined,
    options: OperationOptions = {},
  ): Promise<GeneratedKey> {
    if (!/^[^"\r\n]{1,200}$/.test(subject)) {
      throw new EnrollerError(
        'MODEM_CONTENT_NOT_WRITABLE',
        'The certificate subject cannot be sent to the modem (it is empty, too long, or contains quotes or line ' +
          'breaks).',
      );
    }
    await this.delete(secTag, CredentialType.clientKey, options);
    // A key whose reply (the CSR) was lost or garbled is of no use, and no CSR for it left the
    // modem: it is deleted and a new one made, never kept.
    const discardOrphan = async () => {
      await this.delete(secTag, CredentialType.clientKey, options);
      return false;
    };
    const keygen = { ...options, timeoutMs: TIMEOUTS.credential };
    const command = `AT%KEYGEN=${secTag},2,0,"${subject}"`;
    const generated = await this.link.change(command, discardOrphan, keygen, (lines) =>
      this.#provenKey(lines, secTag, expectedUuid),
    );
    return generated!; // discardOrphan never settles: a result always comes from a reply
  }

  /** Proves a KEYGEN reply belongs to this request: the CSR verifies, the COSE payload names it. */
  async #provenKey(lines: string[], secTag: number, expectedUuid: string | undefined): Promise<GeneratedKey> {
    const { csrDer, cose } = parseKeygen(lines);
    const evidence = parseKeygenEvidence(cose);
    if (!evidence)
      throw new EnrollerError(
        'MODEM_EVIDENCE_MISMATCH',
        "The modem's key-generation evidence (COSE) could not be read.",
      );
    const digest = crypto.createHash('sha256').update(csrDer).digest();
    const problems = [
      evidence.messageType !== 9 && 'it is not a CSR message',
      evidence.secTag !== secTag && `it names security tag ${evidence.secTag}, not ${secTag}`,
      !digest.equals(evidence.digest) && 'its digest does not match the CSR',
      expectedUuid !== undefined &&
        evidence.deviceUuid !== expectedUuid &&
        `it names device ${evidence.deviceUuid}, not ${expectedUuid}`,
    ].filter(Boolean);
    if (problems.length > 0) {
      throw new EnrollerError(
        'MODEM_EVIDENCE_MISMATCH',
        `The modem's key-generation evidence does not match this request: ${problems.join('; ')}.`,
        { problems },
      );
    }
    const csr = await verifyCsr(csrDer);
    return { csr, rawCsr: csrDer, cose, evidence };
  }
}

export function toModemText(content: string): string {
  const text = content.replace(/\r\n?/g, '\n').trim();
  if (text.length === 0 || text.includes('"')) {
    throw new EnrollerError(
      'MODEM_CONTENT_NOT_WRITABLE',
      'This content cannot be written to the modem (it is empty or contains a double quote).',
    );
  }
  return text;
}

export function sha256Hex(text: string): string {
  return crypto.createHash('sha256').update(text, 'utf8').digest('hex').toUpperCase();
}

function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}
