// A TPM 2.0 as the station uses it: a signing key created inside it and persisted at a handle
// (the private half never leaves), signatures over digests, the EK certificate as key-origin
// evidence, and an NV index that holds the issued certificate. Temporary files live in a private
// folder per TPM, each removed right after use: digests, public keys, certificates, signatures,
// and the key's private blob as tpm2_create writes it — wrapped by the TPM, usable only inside it.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EnrollerError } from '../../../shared/errors';
import { TpmTools, type TpmCallOptions } from './tpm-tools';

export type TpmKeyAlgorithm = 'ec-p256' | 'rsa-2048';

/** One NV index holds at most this much (TPM2_PT_NV_INDEX_MAX on swtpm and common chips). */
export const NV_INDEX_MAX_BYTES = 2048;

/** Where TCG puts EK certificates: RSA-2048, ECC P-256, and swtpm's ECC P-384 (PEERS.md). */
const EK_CERT_INDICES = ['0x01c00002', '0x01c0000a', '0x01c00016'] as const;

const KEY_TEMPLATES: Record<TpmKeyAlgorithm, { algorithm: string; attributes: string }> = {
  'ec-p256': {
    algorithm: 'ecc256:ecdsa-sha256',
    attributes: 'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|sign',
  },
  // No fixed scheme, sign and decrypt: SCEP encrypts its reply to the key that signed the
  // request (RFC 8894 §3.1), so an RSA device key signs with RSASSA and unwraps with raw RSA.
  'rsa-2048': {
    algorithm: 'rsa2048:null:null',
    attributes: 'fixedtpm|fixedparent|sensitivedataorigin|userwithauth|sign|decrypt',
  },
};

export const normalizeHandle = (handle: string) => `0x${Number.parseInt(handle, 16).toString(16).padStart(8, '0')}`;

export class Tpm {
  readonly tools: TpmTools;
  readonly #dir: string;

  constructor(tools: TpmTools) {
    this.tools = tools;
    this.#dir = fs.mkdtempSync(path.join(os.tmpdir(), 'enroller-tpm-'));
  }

  get tcti(): string {
    return this.tools.tcti;
  }

  close(): void {
    fs.rmSync(this.#dir, { recursive: true, force: true });
  }

  async persistentHandles(options: TpmCallOptions = {}): Promise<string[]> {
    return listed(await this.tools.run('tpm2_getcap', ['handles-persistent'], options));
  }

  /** Every NV index with its size, from one `tpm2_nvreadpublic` (one tool run instead of one per index). */
  async nvIndices(options: TpmCallOptions = {}): Promise<Map<string, number>> {
    const text = (await this.tools.run('tpm2_nvreadpublic', [], options)).toString('utf8');
    const sizes = new Map<string, number>();
    let current: string | undefined;
    for (const line of text.split('\n')) {
      const index = /^(0x[0-9A-Fa-f]+):\s*$/.exec(line)?.[1];
      if (index) current = normalizeHandle(index);
      const size = /^\s+size:\s*(\d+)/.exec(line)?.[1];
      if (current && size) sizes.set(current, Number(size));
    }
    return sizes;
  }

  /** The public key at a persistent handle, as SubjectPublicKeyInfo DER. */
  async readPublic(handle: string, options: TpmCallOptions = {}): Promise<Uint8Array> {
    const out = this.#file('pub.der');
    await this.tools.run('tpm2_readpublic', ['-c', normalizeHandle(handle), '-f', 'der', '-o', out], options);
    return this.#take(out);
  }

  /** The key at `handle`, created (under a fresh owner primary) and persisted if there is none. */
  async ensureKey(
    handle: string,
    algorithm: TpmKeyAlgorithm,
    options: TpmCallOptions & { fresh?: boolean } = {},
  ): Promise<{ spki: Uint8Array; created: boolean }> {
    const h = normalizeHandle(handle);
    if ((await this.persistentHandles(options)).includes(h)) {
      if (!options.fresh) {
        const spki = await this.readPublic(h, options);
        const actual = algorithmOf(spki);
        if (actual !== algorithm)
          throw new EnrollerError(
            'TPM_KEY_MISMATCH',
            `The key at ${h} is ${actual ?? 'of another kind'}, but the device type asks for ${algorithm}. Choose ` +
              `another handle, or enroll again with --force to replace it.`,
            { handle: h },
          );
        return { spki, created: false };
      }
      await this.tools.run('tpm2_evictcontrol', ['-C', 'o', '-c', h], options);
    }
    const primary = this.#file('primary.ctx');
    const pub = this.#file('key.pub');
    const priv = this.#file('key.priv');
    const loaded = this.#file('key.ctx');
    const template = KEY_TEMPLATES[algorithm];
    try {
      await this.tools.run('tpm2_createprimary', ['-C', 'o', '-g', 'sha256', '-G', 'ecc256:aes128cfb', '-c', primary], {
        ...options,
        flush: true,
      });
      await this.tools.run(
        'tpm2_create',
        ['-C', primary, '-G', template.algorithm, '-a', template.attributes, '-u', pub, '-r', priv],
        { ...options, flush: true },
      );
      await this.tools.run('tpm2_load', ['-C', primary, '-u', pub, '-r', priv, '-c', loaded], options);
      await this.tools.run('tpm2_evictcontrol', ['-C', 'o', '-c', loaded, h], { ...options, flush: true });
    } finally {
      for (const file of [primary, pub, priv, loaded]) fs.rmSync(file, { force: true });
    }
    return { spki: await this.readPublic(h, options), created: true };
  }

  /** Signs SHA-256(data) with the key at `handle`: DER ECDSA-Sig-Value, or PKCS#1 v1.5 for RSA. */
  async sign(
    handle: string,
    algorithm: TpmKeyAlgorithm,
    data: Uint8Array,
    options: TpmCallOptions = {},
  ): Promise<Uint8Array> {
    const digest = this.#file('digest.bin');
    const signature = this.#file('sig.bin');
    fs.writeFileSync(digest, crypto.createHash('sha256').update(data).digest());
    try {
      await this.tools.run(
        'tpm2_sign',
        [
          '-c',
          normalizeHandle(handle),
          '-g',
          'sha256',
          '-s',
          algorithm === 'rsa-2048' ? 'rsassa' : 'ecdsa',
          '-d',
          '-f',
          'plain',
          '-o',
          signature,
          digest,
        ],
        options,
      );
      return this.#take(signature);
    } finally {
      fs.rmSync(digest, { force: true });
    }
  }

  /** Raw RSA with the key at `handle` (the caller checks the padding), for SCEP's key transport. */
  async rsaDecrypt(handle: string, block: Uint8Array, options: TpmCallOptions = {}): Promise<Uint8Array> {
    const input = this.#file('enc.bin');
    const output = this.#file('dec.bin');
    fs.writeFileSync(input, block);
    try {
      await this.tools.run(
        'tpm2_rsadecrypt',
        ['-c', normalizeHandle(handle), '-s', 'null', '-o', output, input],
        options,
      );
      return this.#take(output);
    } finally {
      fs.rmSync(input, { force: true });
    }
  }

  /** The EK certificate from its TCG NV index, when the manufacturer (or swtpm_setup) put one there. */
  async readEkCertificate(options: TpmCallOptions = {}): Promise<Uint8Array | undefined> {
    const present = await this.nvIndices(options);
    for (const index of EK_CERT_INDICES) if (present.has(index)) return this.readNv(index, options);
    return undefined;
  }

  /** The RSA endorsement key's public part (the identity when there is no EK certificate). */
  async ekPublic(options: TpmCallOptions = {}): Promise<Uint8Array> {
    const context = this.#file('ek.ctx');
    const out = this.#file('ek.der');
    try {
      await this.tools.run('tpm2_createek', ['-G', 'rsa', '-c', context, '-u', out, '-f', 'der'], {
        ...options,
        flush: true,
      });
      return this.#take(out);
    } finally {
      fs.rmSync(context, { force: true });
    }
  }

  async nvSize(index: string, options: TpmCallOptions = {}): Promise<number | undefined> {
    return (await this.nvIndices(options)).get(normalizeHandle(index));
  }

  /** Writes `data` as the whole content of an owner NV index, sized to fit (redefined if needed). */
  async writeNv(index: string, data: Uint8Array, options: TpmCallOptions = {}): Promise<void> {
    const i = normalizeHandle(index);
    if (data.length > NV_INDEX_MAX_BYTES) {
      throw new EnrollerError(
        'TPM_NV_TOO_LARGE',
        `The certificate is ${data.length} bytes; one TPM NV index holds at most ${NV_INDEX_MAX_BYTES}. Write it to ` +
          `a file instead (--out-dir).`,
        { bytes: data.length },
      );
    }
    const size = await this.nvSize(i, options);
    if (size !== undefined && size !== data.length) await this.tools.run('tpm2_nvundefine', ['-C', 'o', i], options);
    if (size !== data.length)
      await this.tools.run(
        'tpm2_nvdefine',
        [i, '-C', 'o', '-s', String(data.length), '-a', 'ownerread|ownerwrite|authread|authwrite'],
        options,
      );
    const file = this.#file('nv-in.bin');
    fs.writeFileSync(file, data);
    try {
      await this.tools.run('tpm2_nvwrite', [i, '-C', 'o', '-i', file], options);
    } finally {
      fs.rmSync(file, { force: true });
    }
  }

  /** The whole content of an NV index (tpm2_nvread reads its full size when none is given). */
  async readNv(index: string, options: TpmCallOptions = {}): Promise<Uint8Array> {
    const out = this.#file('nv-out.bin');
    await this.tools.run('tpm2_nvread', [normalizeHandle(index), '-C', 'o', '-o', out], options);
    return this.#take(out);
  }

  #file(name: string): string {
    return path.join(this.#dir, `${crypto.randomBytes(6).toString('hex')}-${name}`);
  }

  #take(file: string): Uint8Array {
    try {
      return new Uint8Array(fs.readFileSync(file));
    } finally {
      fs.rmSync(file, { force: true });
    }
  }
}

/** `tpm2_getcap handles-*` prints "- 0x81000102" per handle. */
function listed(stdout: Buffer): string[] {
  return [...stdout.toString('utf8').matchAll(/^-\s*(0x[0-9A-Fa-f]+)/gm)].map((m) => normalizeHandle(m[1]!));
}

function algorithmOf(spki: Uint8Array): TpmKeyAlgorithm | undefined {
  const key = crypto.createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'ec' && details?.namedCurve === 'prime256v1') return 'ec-p256';
  if (key.asymmetricKeyType === 'rsa' && details?.modulusLength === 2048) return 'rsa-2048';
  return undefined;
}
