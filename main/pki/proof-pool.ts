// Proof of possession on worker threads, for a bulk run (#18). Checking a CSR's signature takes
// importing its key (OpenSSL, about 0.15 ms here, and always on the calling thread) and verifying
// (about 0.1 ms): with thousands of files that is the main thread's largest single cost. Here both
// run on workers, in batches (one message carries many requests), while the main thread parses,
// signs and records. A worker gets plain data (spki-key.ts's key input, the signed bytes, the
// hash) and sends back whether it verified and what the key policy needs to know of the key.
import os from 'node:os';
import { WorkerBatches } from '../worker-batches';
import type { KeyFacts } from './key-policy';
import { publicKeyInput } from './spki-key';

export interface Proof {
  readonly verified: boolean;
  /** Undefined when the key could not be imported at all. */
  readonly key: KeyFacts | undefined;
}

interface Request {
  readonly input: ReturnType<typeof publicKeyInput>;
  readonly hash: string | null;
  readonly data: Uint8Array;
  readonly signature: Uint8Array;
}

interface Answer {
  readonly verified: boolean;
  readonly type?: string;
  readonly details?: KeyFacts['asymmetricKeyDetails'];
}

const ANSWER = `
const crypto = require('node:crypto');
function answer({ input, hash, data, signature }) {
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

export class ProofPool {
  readonly #workers: WorkerBatches<Request, Answer>;

  /** One worker per core but the main thread's own. */
  constructor(workers = Math.max(1, os.availableParallelism() - 1)) {
    this.#workers = new WorkerBatches(ANSWER, workers);
  }

  /** Whether `signature` over `data` was made by the key in `spki`, checked on a worker. */
  async prove(spki: Uint8Array, hash: string | null, data: Uint8Array, signature: Uint8Array): Promise<Proof> {
    const answer = await this.#workers.run({ input: publicKeyInput(spki), hash, data, signature });
    if (!answer.type) return { verified: false, key: undefined };
    return { verified: answer.verified, key: { asymmetricKeyType: answer.type, asymmetricKeyDetails: answer.details } };
  }

  close(): Promise<void> {
    return this.#workers.close();
  }
}
