// A bulk run's cryptography on worker threads (#18): proofs of possession and the CA's signatures.
// Checking a CSR's signature takes importing its key (OpenSSL, about 0.15 ms here, always on the
// calling thread) and verifying (about 0.1 ms); signing a certificate about 0.05 ms, and handing
// each one to Node's thread pool costs the main thread nearly as much again. With thousands of
// files that is the main thread's largest share; here it runs on workers, in batches (one message
// carries many requests), while the main thread parses, builds and records. A worker gets plain
// data — spki-key.ts's key input, the signed bytes, the hash; the to-be-signed bytes — and sends
// back whether it verified and what the key policy needs to know of the key; or the signature. The
// CA's key (a KeyObject of this process) is handed once, as it starts, to the one worker that
// signs: keys never leave the process, as ever.
import type crypto from 'node:crypto';
import os from 'node:os';
import { ownBytes, WorkerBatches } from '../worker-batches';
import type { CaSigningKey } from './authority/signing-key';
import type { KeyFacts } from './key-policy';
import { publicKeyInput } from './spki-key';

export interface Proof {
  readonly verified: boolean;
  /** Undefined when the key could not be imported at all. */
  readonly key: KeyFacts | undefined;
}

type Request =
  | {
      readonly input: ReturnType<typeof publicKeyInput>;
      readonly hash: string | null;
      readonly data: Uint8Array;
      readonly signature: Uint8Array;
    }
  | { readonly sign: Uint8Array };

interface Answer {
  readonly verified?: boolean;
  readonly type?: string;
  readonly details?: KeyFacts['asymmetricKeyDetails'];
  readonly signature?: Uint8Array;
}

const ANSWER = `
const crypto = require('node:crypto');
const { workerData } = require('node:worker_threads');
function answer(request) {
  if (request.sign) {
    return { signature: crypto.sign('sha256', request.sign, { key: workerData.key, dsaEncoding: 'der' }) };
  }
  const { input, hash, data, signature } = request;
  let key;
  try {
    key = crypto.createPublicKey(input);
  } catch {
    return { verified: false };
  }
  let verified = false;
  try {
    verified = crypto.verify(hash, data, { key, dsaEncoding: 'der' }, signature);
  } catch {}
  const { namedCurve, modulusLength, publicExponent } = key.asymmetricKeyDetails ?? {};
  return { verified, type: key.asymmetricKeyType, details: { namedCurve, modulusLength, publicExponent } };
}
`;

export class CryptoWorkers {
  readonly #workers: WorkerBatches<Request, Answer>;
  /**
   * The CA's signatures on a worker of their own: a bulk run proves requests well ahead of the
   * ones it signs (fresh-lane.ts), and a signature queued behind those proofs would hold up the
   * certificates that are ready to be recorded.
   */
  readonly #signer: WorkerBatches<Request, Answer> | undefined;
  readonly #caKey: crypto.KeyObject | undefined;

  /** One worker per core but the main thread's own; `caKey` when a worker is to sign too. */
  constructor(options: { caKey?: crypto.KeyObject | undefined; workers?: number } = {}) {
    const workers = options.workers ?? Math.max(1, os.availableParallelism() - 1);
    this.#caKey = options.caKey;
    this.#workers = new WorkerBatches(ANSWER, workers);
    this.#signer = options.caKey ? new WorkerBatches(ANSWER, 1, { key: options.caKey }) : undefined;
  }

  /** Whether `signature` over `data` was made by the key in `spki`, checked on a worker. */
  async prove(spki: Uint8Array, hash: string | null, data: Uint8Array, signature: Uint8Array): Promise<Proof> {
    const request = { input: publicKeyInput(spki), hash, data: ownBytes(data), signature: ownBytes(signature) };
    const answer = await this.#workers.run(request);
    if (!answer.type) return { verified: false, key: undefined };
    return {
      verified: answer.verified === true,
      key: { asymmetricKeyType: answer.type, asymmetricKeyDetails: answer.details },
    };
  }

  /** The CA key signing on the workers; undefined when they were given none. */
  signingKey(): CaSigningKey | undefined {
    const caKey = this.#caKey;
    const signer = this.#signer;
    if (!caKey || !signer) return undefined;
    return {
      kind: caKey.asymmetricKeyType === 'rsa' ? 'rsa' : 'ec',
      sign: async (data) => new Uint8Array((await signer.run({ sign: ownBytes(data) })).signature!),
    };
  }

  async close(): Promise<void> {
    await Promise.all([this.#workers.close(), this.#signer?.close()]);
  }
}
